import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisSettings } from '@taskflow/platform';
import { followMigratedSubscriptions } from './sharded-subscriptions';

/** A connection to the configured Redis: one server (`REDIS_MODE=single`) or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

export interface RedisClientExtras {
  /**
   * Cluster mode: this client will SSUBSCRIBE (the Socket.IO sharded adapter's subscriber). ioredis then keeps one
   * subscriber connection per master and moves the channels of a slot that changes master (a failover; a migration
   * through `followMigratedSubscriptions`).
   */
  shardedSubscriber?: boolean;
}

/**
 * The one place a Redis connection is made from the configuration (`config.redis`). In cluster mode REDIS_URL gives
 * the user, password and TLS (`rediss://`) of every node; `options` are the per-connection ioredis options, with
 * `retryStrategy`, `enableOfflineQueue` and `lazyConnect` moved to the cluster, where ioredis expects them.
 */
export function createRedisClient(settings: RedisSettings, options: RedisOptions = {}, extras: RedisClientExtras = {}): RedisClient {
  if (settings.mode === 'single') return new Redis(settings.url, options);
  const url = new URL(settings.url);
  const { retryStrategy, enableOfflineQueue, lazyConnect, ...nodeOptions } = options;
  const clusterOptions: ClusterOptions = {
    shardedSubscribers: extras.shardedSubscriber === true,
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) } : {}),
    redisOptions: {
      ...nodeOptions,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  };
  const cluster = new Cluster(
    settings.nodes.map((n) => ({ host: n.host, port: n.port })),
    clusterOptions,
  );
  if (extras.shardedSubscriber) followMigratedSubscriptions(cluster);
  return cluster;
}

/** The masters of a cluster (a command for "every key" must run on each), or the one server. */
export function redisMasters(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

/**
 * BullMQ's key prefix for `QUEUE_PREFIX` on this client. Each BullMQ script touches several keys of a queue, which
 * Redis Cluster takes only within one slot: there the prefix is a hash tag (`{taskflow}`), so every queue's keys
 * share a slot (one shard). On one Redis, the prefix as given, where the keys have always been. Every Queue and
 * Worker takes its prefix from here, so the server's producers and the worker's consumers agree.
 */
export function queueKeyPrefix(client: RedisClient, prefix: string): string {
  return client instanceof Cluster ? `{${prefix}}` : prefix;
}

/**
 * Closes a client once what it sent is answered: Redis answers QUIT after the commands before it, whereas after
 * `disconnect()` it may drop their replies. A command left unanswered rejects ("Connection is closed."), unhandled
 * when nobody awaits it (a Socket.IO adapter's UNSUBSCRIBE on close, an emitter's PUBLISH). A client not connected
 * has nothing in flight: it is disconnected (QUIT would wait for a connection).
 */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  if (client.status !== 'ready') return client.disconnect();
  await client.quit().then(
    () => undefined,
    () => client.disconnect(),
  );
}
