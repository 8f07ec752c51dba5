import type { FastifyReply, FastifyRequest } from 'fastify';
import { closeRedisClient, createRedisClient, type RedisClient } from '@taskflow/queue';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError, type Logger, type RedisSettings } from '@taskflow/platform';

/** Thrown (and answered 429 with Retry-After) when a limit is exhausted. */
export function rateLimited(res: RateLimiterRes | undefined, reply: FastifyReply, message: string): AppError {
  const seconds = Math.max(1, Math.ceil((res?.msBeforeNext ?? 1000) / 1000));
  void reply.header('retry-after', String(seconds));
  return new AppError('RATE_LIMITED', 429, `${message}; try again in ${seconds} s`);
}

/**
 * The HTTP limits of this node, counted in Redis so that they hold across
 * nodes. While Redis is unreachable (or too slow) each limiter falls back to
 * this node's memory: limits keep holding per node, and nothing that reads or
 * logs in waits for Redis.
 */
export class HttpRateLimits {
  private readonly redis: RedisClient;
  private fallbackLogged = false;

  constructor(
    settings: RedisSettings,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {
    // No offline queue and a command timeout: a down or stalled Redis fails fast into the in-memory fallback.
    this.redis = createRedisClient(settings, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 500 });
    this.redis.on('error', (err) => logger.warn({ err: err.message, client: 'http-limits' }, 'rate-limit redis error'));
    this.redis.on('ready', () => {
      if (this.fallbackLogged) logger.info('rate limits are shared through Redis again');
      this.fallbackLogged = false;
    });
  }

  /** A limiter of `points` per `seconds`, shared across nodes through Redis, with a per-node stand-in. */
  limiter(name: string, points: number, seconds: number): RateLimiterRedis {
    return new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix: `${this.prefix}:rl-http-${name}`,
      points,
      duration: seconds,
      insuranceLimiter: new RateLimiterMemory({ points, duration: seconds }),
    });
  }

  /** Says once per outage that the limits are per node for now. */
  noteFallback(): void {
    if (this.redis.status === 'ready' || this.fallbackLogged) return;
    this.fallbackLogged = true;
    this.logger.warn('Redis unreachable: rate limits (login included) count in this node’s memory until it returns');
  }

  /** A preHandler charging one request to the authenticated user's budget. */
  perUser(name: string, perMinute: number, what: string) {
    const limiter = this.limiter(name, perMinute, 60);
    return async (request: FastifyRequest, reply: FastifyReply) => {
      this.noteFallback();
      try {
        await limiter.consume(request.user.id);
      } catch (res) {
        if (res instanceof Error) throw res;
        throw rateLimited(res as RateLimiterRes, reply, `Too many ${what}`);
      }
    };
  }

  /**
   * A preHandler holding one of the user's `max` slots on this node while a request runs (a 429 beyond): a rate per
   * minute still lets a burst in at once, this bounds how much of the shared database pool one user's burst can hold.
   */
  inFlightPerUser(max: number, what: string) {
    const running = new Map<string, number>();
    const holding = new WeakSet<FastifyRequest>();
    const release = (request: FastifyRequest) => {
      if (!holding.delete(request)) return;
      const n = (running.get(request.user.id) ?? 1) - 1;
      if (n > 0) running.set(request.user.id, n);
      else running.delete(request.user.id);
    };
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const id = request.user.id;
      const n = running.get(id) ?? 0;
      if (n >= max) throw rateLimited(undefined, reply, `Too many ${what} at once`);
      running.set(id, n + 1);
      holding.add(request);
      // 'close' fires after the answer and also when the client went away; onResponse does not run then (no
      // 'finish', fastify/fastify#6208), and a slot lost per abort would lock the user out of reads on this node.
      reply.raw.once('close', () => release(request));
    };
  }

  async close(): Promise<void> {
    await closeRedisClient(this.redis);
  }
}
