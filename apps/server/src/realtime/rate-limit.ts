import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * Per-socket and per-user limits on client messages, counted in Redis so a user
 * spreading sockets over nodes is still one user. If Redis is down, an
 * in-memory limiter stands in rather than letting everything through.
 */
export class SocketRateLimits {
  private readonly perSocket: RateLimiterAbstract;
  private readonly perUser: RateLimiterAbstract;

  constructor(redis: Redis, opts: { perSocket: number; perUser: number; prefix: string }) {
    const make = (keyPrefix: string, points: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${opts.prefix}:${keyPrefix}`,
        points,
        duration: 1,
        insuranceLimiter: new RateLimiterMemory({ points, duration: 1 }),
      });
    this.perSocket = make('rl-socket', opts.perSocket);
    this.perUser = make('rl-user', opts.perUser);
  }

  /** True when the message may go on; false when either limit is exhausted. */
  async allow(socketId: string, userId: string): Promise<boolean> {
    try {
      await Promise.all([this.perSocket.consume(socketId), this.perUser.consume(userId)]);
      return true;
    } catch (err) {
      if (err instanceof Error) throw err; // a real failure, not a rejection by the limiter
      return false;
    }
  }
}
