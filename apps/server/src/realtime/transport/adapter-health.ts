import { Cluster } from 'ioredis';
import type { RedisClient } from '@taskflow/queue';

/**
 * Whether the Socket.IO adapter can publish and really is subscribed. A connected
 * subscriber client is not enough: one whose subscriptions were never acknowledged
 * (or not yet restored after a reconnect) receives no broadcasts at all.
 */
export function adapterSubscribed(pub: RedisClient, sub: RedisClient): boolean {
  if (pub.status !== 'ready' || sub.status !== 'ready') return false;
  // On a cluster the sharded subscribers are ioredis's own connections, one per master, restarted by it on a
  // topology change; a ready cluster client is what there is to look at.
  return sub instanceof Cluster || sub.mode === 'subscriber';
}
