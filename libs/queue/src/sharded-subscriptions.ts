import type { Cluster } from 'ioredis';

/** A re-subscription Redis has not answered by then went to the wrong master: it is sent again. */
const RESUBSCRIBE_TIMEOUT_MS = 2000;
/** Between two rounds for the channels a round did not get subscribed, and how many rounds at most (≈ 1 min). */
const RETRY_EVERY_MS = 500;
const MAX_ROUNDS = 25;

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
 * broadcasts may have been missed. The map read right after the push can still be older than the move (a master not
 * yet told of it): the SSUBSCRIBE then goes to a master that refuses it with MOVED, which ioredis leaves unanswered.
 * A channel not subscribed within RESUBSCRIBE_TIMEOUT_MS is sent again on a fresh map, every RETRY_EVERY_MS, and
 * `subscribersReady` waits for all of them.
 * A move whose push was lost with its connection needs nothing here: ioredis replaces
 * a subscriber whose connection ended, after a slot refresh, and subscribes every channel on its current master.
 *
 * A channel whose room closed in the few milliseconds before it is subscribed again stays subscribed until the room
 * is opened and closed once more; the node only hears broadcasts it drops.
 */
export function followMigratedSubscriptions(
  cluster: Cluster,
  opts: { timeoutMs?: number; retryEveryMs?: number; maxRounds?: number } = {},
): void {
  const timeoutMs = opts.timeoutMs ?? RESUBSCRIBE_TIMEOUT_MS;
  const retryEveryMs = opts.retryEveryMs ?? RETRY_EVERY_MS;
  const maxRounds = opts.maxRounds ?? MAX_ROUNDS;
  const dropped = new Set<string>();
  let scheduled = false;
  let round = 0;
  const resubscribe = () => {
    scheduled = false;
    const channels = [...dropped];
    dropped.clear();
    round += 1;
    // After the refresh the subscriber group routes each channel to the master that serves its slot now.
    cluster.refreshSlotsCache(() => {
      void Promise.all(channels.map(async (channel) => ((await subscribed(cluster.ssubscribe(channel), timeoutMs)) ? [] : [channel]))).then(
        (results) => {
          const failed = results.flat();
          // Refused or never answered: the map it was routed by was older than the move (read from a master not yet
          // told, or from the importing one), and the SSUBSCRIBE went to a master that does not serve the slot. Again,
          // on a fresh map, until it is taken: until then the node hears nothing of the room, so no resync yet.
          if (failed.length > 0 && round < maxRounds) {
            for (const channel of failed) dropped.add(channel);
            if (!scheduled) {
              scheduled = true;
              setTimeout(resubscribe, retryEveryMs).unref();
            }
            return;
          }
          if (dropped.size > 0 || scheduled) return;
          round = 0;
          // Every channel is taken again (or, after `maxRounds`, left to ioredis's own full resubscription at its next
          // topology change): each announcement is one more catch-up for the sockets, never a loss.
          if (cluster.status === 'ready') cluster.emit('subscribersReady');
        },
      );
    });
  };
  cluster.on('nodeError', (err: Error) => {
    const channel = /Last reply: sunsubscribe,(.+),\d+$/.exec(err.message)?.[1];
    if (!channel) return;
    if (dropped.size === 0 && !scheduled && round === 0) cluster.emit('-subscriber');
    dropped.add(channel);
    if (scheduled) return;
    scheduled = true;
    // A reshard moves slot after slot: the channels of a burst are subscribed again together.
    setTimeout(resubscribe, 50).unref();
  });
}

/** Resolves true once `promise` fulfils, false if it rejects or has not settled after `ms` (ioredis leaves an SSUBSCRIBE answered MOVED pending for ever). */
function subscribed(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}
