import type { Cluster } from 'ioredis';

/** A re-subscription Redis has not answered by then is left to ioredis's own refresh (see below). */
const RESUBSCRIBE_TIMEOUT_MS = 5000;

/**
 * Keeps a sharded subscriber's channels subscribed when their slots migrate to another master.
 *
 * When a slot moves (`redis-cli --cluster reshard`), Redis ends every SSUBSCRIBE to the slot's channels on the old
 * master with a pushed `sunsubscribe`. ioredis 5.11 takes that push for the answer to a command it never sent: it
 * reports "Command queue state error … Last reply: sunsubscribe,<channel>,<count>" as a `nodeError`, forgets the
 * channel on that connection and never subscribes it on the new master, so a Socket.IO node silently stops hearing
 * the room (see sharded-fanout.int-spec.ts, "a slot migrates"). Here, on that report, the client re-reads the slot map
 * and subscribes the channel again (on its new master), between a `-subscriber` and a `subscribersReady` event, the
 * events ioredis itself emits around a lost and restored subscriber: listeners treat the interval as one in which
 * broadcasts may have been missed. A move whose push was lost with its connection needs nothing here: ioredis replaces
 * a subscriber whose connection ended, after a slot refresh, and subscribes every channel on its current master.
 *
 * A channel whose room closed in the few milliseconds before it is subscribed again stays subscribed until the room
 * is opened and closed once more; the node only hears broadcasts it drops.
 */
export function followMigratedSubscriptions(cluster: Cluster): void {
  const dropped = new Set<string>();
  let scheduled = false;
  const resubscribe = () => {
    scheduled = false;
    const channels = [...dropped];
    dropped.clear();
    // After the refresh the subscriber group routes each channel to the master that serves its slot now.
    cluster.refreshSlotsCache(() => {
      void Promise.all(channels.map((channel) => settled(cluster.ssubscribe(channel), RESUBSCRIBE_TIMEOUT_MS))).then(() => {
        // Also when one was refused or not answered (the map was still moving): ioredis follows the MOVED with a full
        // resubscription and emits `subscribersReady` again, and each announcement is one more catch-up, never a loss.
        if (cluster.status === 'ready') cluster.emit('subscribersReady');
      });
    });
  };
  cluster.on('nodeError', (err: Error) => {
    const channel = /Last reply: sunsubscribe,(.+),\d+$/.exec(err.message)?.[1];
    if (!channel) return;
    if (dropped.size === 0 && !scheduled) cluster.emit('-subscriber');
    dropped.add(channel);
    if (scheduled) return;
    scheduled = true;
    // A reshard moves slot after slot: the channels of a burst are subscribed again together.
    setTimeout(resubscribe, 50).unref();
  });
}

/** Resolves once `promise` settles, or after `ms` (ioredis leaves an SSUBSCRIBE answered MOVED pending for ever). */
function settled(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}
