import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger, RedisSettings } from '@taskflow/platform';
import { closeRedisClient, createRedisClient, type RedisClient } from '@taskflow/queue';
import { LIMITER_COMMAND_TIMEOUT_MS } from '../handlers/rate-limit';

/** The gateway's Redis connections: the adapter's publisher and subscriber, and the socket rate limiter's. */
interface RealtimeRedis {
  pub: RedisClient;
  sub: RedisClient;
  limiter: RedisClient;
}

declare module 'fastify' {
  interface FastifyInstance {
    realtimeRedis: RealtimeRedis;
  }
}

export interface RealtimeRedisOptions {
  redis: RedisSettings;
  logger: Logger;
}

/** How long the start waits for the adapter's connections before going on without them. */
const READY_WAIT_MS = 3000;

/**
 * Opens the gateway's Redis clients and closes them last. Register it before the
 * Socket.IO plugin: onClose hooks run in reverse order of registration, and the
 * adapter unsubscribes (on these clients) when Socket.IO closes, so the clients
 * must outlive that.
 */
const realtimeRedis: FastifyPluginAsync<RealtimeRedisOptions> = async (app, { redis, logger }) => {
  const pub = createRedisClient(redis, { maxRetriesPerRequest: 3 });
  // The adapter subscribes once, at start: its commands must wait for Redis, however long, rather than be
  // given up (ioredis re-subscribes after a reconnect only what Redis had acknowledged). On a cluster it is the
  // sharded adapter's: one SSUBSCRIBE connection per master.
  const sub = createRedisClient(redis, { maxRetriesPerRequest: null }, { shardedSubscriber: true });
  const limiter = createRedisClient(redis, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: LIMITER_COMMAND_TIMEOUT_MS,
  });
  for (const [name, client] of [
    ['pub', pub],
    ['sub', sub],
    ['limiter', limiter],
  ] as const) {
    // Without listeners a Redis outage would crash the node; ioredis reconnects and resubscribes by itself.
    client.on('error', (err) => logger.warn({ err: err.message, client: name }, 'realtime redis error'));
  }
  app.addHook('onClose', async () => {
    await Promise.allSettled([pub, sub, limiter].map((c) => closeRedisClient(c)));
  });
  app.decorate('realtimeRedis', { pub, sub, limiter });
  // Subscribe on a live connection when Redis is up; when it is down, start anyway (ioredis resubscribes later).
  await Promise.all([pub, sub].map((c) => whenReady(c, READY_WAIT_MS)));
};

export const realtimeRedisPlugin = fp(realtimeRedis, { name: 'realtime-redis' });

function whenReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    client.once('ready', done);
  });
}
