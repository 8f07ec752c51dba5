import type { RedisClient } from '@taskflow/queue';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { MAX_RESYNC_TASKS } from '@taskflow/events';

/**
 * How long the limiter's Redis commands may take (give its client this `commandTimeout`):
 * a stalled Redis then fails over to the in-memory stand-in instead of holding every message.
 */
export const LIMITER_COMMAND_TIMEOUT_MS = 500;

/** Tasks of a resync that cost as much as one ordinary message. */
const RESYNC_TASKS_PER_POINT = 10;

/**
 * What a message costs against the budgets: one, except a resync, which costs
 * one per started ten tasks (a full 100-task resync is 10 of the socket's 20
 * per second). Read from the raw payload, before validation, so oversized or
 * malformed ones are charged too; a resync that names no tasks covers the
 * `joinedTasks` task rooms its socket is in.
 */
export function messageCost(event: string, payload: unknown, joinedTasks = 0): number {
  if (event !== 'resync_requested') return 1;
  const ids = (payload as { taskIds?: unknown } | null | undefined)?.taskIds;
  const n = Math.min(Array.isArray(ids) ? ids.length : Math.max(1, joinedTasks), MAX_RESYNC_TASKS);
  return Math.max(1, Math.ceil(n / RESYNC_TASKS_PER_POINT));
}

/**
 * Per-socket and per-user limits on client messages, counted in Redis so a user
 * spreading sockets over nodes is still one user. If Redis is down or stalled
 * (its client's commandTimeout), an in-memory limiter stands in rather than
 * letting everything through.
 */
export class SocketRateLimits {
  private readonly perSocket: RateLimiterAbstract;
  private readonly perUser: RateLimiterAbstract;

  constructor(redis: RedisClient, opts: { perSocket: number; perUser: number; prefix: string }) {
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

  /**
   * True when the message may go on; false when either limit is exhausted. `userCost` (default `cost`) is what
   * it costs the user: 0 for a socket's first dashboard join, so a user opening many tabs at once is never
   * throttled for that, while each socket's own budget still holds its floods.
   */
  async allow(socketId: string, userId: string, cost = 1, userCost = cost): Promise<boolean> {
    try {
      await Promise.all([this.perSocket.consume(socketId, cost), userCost > 0 ? this.perUser.consume(userId, userCost) : undefined]);
      return true;
    } catch (err) {
      if (err instanceof Error) throw err; // a real failure, not a rejection by the limiter
      return false;
    }
  }
}
