import { eventually } from './processes';

/** What is needed of a Redis client: a raw command (ioredis's `call`). */
interface RedisCaller {
  call(command: string, ...args: string[]): Promise<unknown>;
}

/**
 * Resolves once `count` classic Redis adapters with this `key` listen (Socket.IO's redis-adapter). An adapter
 * PSUBSCRIBEs to its broadcasts before it SUBSCRIBEs to its request channel, on one connection, so counting the
 * request channel's subscribers says its broadcasts reach it too: a broadcast sent before that is lost
 * (Redis pub/sub keeps nothing), which a busy machine makes likely right after a node starts.
 */
export async function redisAdaptersSubscribed(redis: RedisCaller, key: string, count: number): Promise<void> {
  await eventually(`${count} adapters subscribed to ${key}`, async () => {
    const [, subscribers] = (await redis.call('PUBSUB', 'NUMSUB', `${key}-request#/#`)) as [string, number];
    return subscribers >= count ? true : undefined;
  });
}

/** What closing needs of an ioredis client. */
interface ClosableRedis {
  status: string;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/**
 * Closes a Redis client once what it sent is answered: Redis answers QUIT after the commands before it, whereas after
 * `disconnect()` it may drop their replies. A command left unanswered rejects ("Connection is closed."), unhandled when
 * nobody awaits it (a Socket.IO adapter's UNSUBSCRIBE on close), and Jest blames the next test file of the worker.
 */
export async function closeRedis(client: ClosableRedis): Promise<void> {
  if (client.status !== 'ready') return client.disconnect();
  await client.quit().catch(() => client.disconnect());
}
