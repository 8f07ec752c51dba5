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
