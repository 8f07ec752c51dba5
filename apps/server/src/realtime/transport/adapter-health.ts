import type { Redis } from 'ioredis';

/**
 * Whether the Socket.IO adapter can publish and really is subscribed. A connected
 * subscriber client is not enough: one whose subscriptions were never acknowledged
 * (or not yet restored after a reconnect) receives no broadcasts at all.
 */
export function adapterSubscribed(pub: Redis, sub: Redis): boolean {
  return pub.status === 'ready' && sub.status === 'ready' && sub.mode === 'subscriber';
}
