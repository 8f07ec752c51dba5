import { Cluster } from 'ioredis';
import type { RedisClient } from '@taskflow/queue';
import type { Logger } from '@taskflow/platform';
import type { RealtimeMetrics } from '../metrics';
import type { TaskflowServer } from '../transport/socket-types';

/**
 * Broadcasts published while this node's Redis subscriber was disconnected never
 * reached it, and Redis keeps nothing to replay. When the subscriber is back
 * (ioredis reconnects and re-subscribes by itself), every socket of this node is
 * told to catch up from PostgreSQL — locally, since the other nodes missed nothing.
 */
export function resyncClientsAfterResubscribe(
  sub: RedisClient,
  io: TaskflowServer,
  deps: { logger: Logger; metrics: RealtimeMetrics },
): void {
  const resync = () => {
    deps.metrics.resyncsRequested.inc();
    deps.logger.info({ sockets: io.of('/').sockets.size }, 'redis subscription restored; clients told to resync');
    io.local.emit('sync:required', { reason: 'subscription_interrupted' });
  };
  if (sub instanceof Cluster) {
    // Sharded subscribers are ioredis's own connections, one per master. `subscribersReady` follows every change of
    // them: one dropped (its master failed) and replaced, the slot map changed (a migration; see
    // followMigratedSubscriptions in @taskflow/queue) and every channel subscribed again on its master. Broadcasts of
    // the interval may be missing; at start-up the node has no socket yet.
    sub.on('subscribersReady', () => {
      if (io.of('/').sockets.size > 0) resync();
    });
    return;
  }
  let interrupted = false;
  // Also after a failed first connection: clients may have joined while nothing was subscribed.
  sub.on('close', () => {
    interrupted = true;
  });
  sub.on('ready', () => {
    if (!interrupted) return;
    interrupted = false;
    // 'ready' fires before ioredis re-subscribes on the new connection; a PING queued behind the
    // re-subscription answers once it is in place, so nothing published after the resync is missed.
    sub.ping().then(
      () => resync(),
      // The connection dropped again: its next 'ready' retries.
      (err: unknown) => deps.logger.warn({ err }, 'redis subscription not confirmed after reconnect'),
    );
  });
}
