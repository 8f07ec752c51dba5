import { Cluster } from 'ioredis';
import type { RedisClient } from '@taskflow/queue';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { CONNECT_ERRORS, type ConnectErrorCode, type ConnectErrorData } from '@taskflow/events';
import type { Logger } from '@taskflow/platform';
import type { RealtimeMetrics } from '../metrics';
import type { TaskflowServer, TaskflowSocket } from './socket-types';

export interface ConnectionLimitsOptions {
  /** Sockets one user may hold open across nodes. */
  maxSocketsPerUser: number;
  /** Handshakes a minute per user, refused ones included. */
  connectsPerMinute: number;
  prefix: string;
  nodeId: string;
  /** How long a node's entries outlive its last refresh (a dead node's sockets stop counting after this). */
  ttlMs: number;
  logger: Logger;
  metrics: RealtimeMetrics;
}

/**
 * Adds a socket to its user's set unless the set (expired entries dropped first) is full: one round trip, atomic,
 * so concurrent handshakes on several nodes cannot all slip under the cap.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

type AcquiringRedis = RedisClient & {
  taskflowAcquireSocket(key: string, now: number, expiresAt: number, member: string, max: number, ttlMs: number): Promise<number>;
};

/** A handshake refusal as Socket.IO hands it to the client's `connect_error`: message, and `data.code`. */
export function connectRefusal(code: ConnectErrorCode, retryAfterSeconds?: number): Error & { data: ConnectErrorData } {
  const err = new Error(CONNECT_ERRORS[code]) as Error & { data: ConnectErrorData };
  err.data = retryAfterSeconds === undefined ? { code } : { code, retryAfterSeconds };
  return err;
}

/**
 * Per-user bounds on sockets: a rate of new connections and a cap on open ones, both across nodes. Open sockets
 * are a Redis sorted set per user (member: node and socket, score: expiry) that each node refreshes for its own
 * connected sockets, like presence: a dead node's entries age out after `ttlMs`. While Redis is away both fall
 * back to this node's own counts.
 */
export class ConnectionLimits {
  private readonly connects: RateLimiterRedis;
  /** userId → this node's connected sockets of that user (the fallback count, and what refreshes re-add). */
  private readonly local = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private refreshing = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly io: TaskflowServer,
    private readonly opts: ConnectionLimitsOptions,
  ) {
    this.connects = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${opts.prefix}:rl-connect`,
      points: opts.connectsPerMinute,
      duration: 60,
      insuranceLimiter: new RateLimiterMemory({ points: opts.connectsPerMinute, duration: 60 }),
    });
    if (!('taskflowAcquireSocket' in redis)) redis.defineCommand('taskflowAcquireSocket', { numberOfKeys: 1, lua: ACQUIRE });
    this.timer = setInterval(() => void this.refreshOnce(), Math.max(500, Math.floor(opts.ttlMs / 3)));
    this.timer.unref();
  }

  private key(userId: string) {
    return `${this.opts.prefix}:sockets:${userId}`;
  }

  private member(socket: TaskflowSocket) {
    return `${this.opts.nodeId}|${socket.id}`;
  }

  /** io.use, after the session guard: refuses with TOO_MANY_SOCKETS or SOCKET_RATE_LIMITED (UNAVAILABLE if Redis fails). */
  middleware(socket: TaskflowSocket, next: (err?: Error) => void): void {
    this.admit(socket).then(
      (refusal) => next(refusal),
      (err: unknown) => {
        this.opts.logger.warn({ err }, 'connection limit check failed');
        // Redis briefly away is not the user's doing: UNAVAILABLE, which clients retry (socket.io-client does not).
        next(connectRefusal('UNAVAILABLE'));
      },
    );
  }

  private async admit(socket: TaskflowSocket): Promise<Error | undefined> {
    const userId = socket.data.user.id;
    try {
      await this.connects.consume(userId);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      this.opts.metrics.recordError('SOCKET_RATE_LIMITED');
      return connectRefusal('SOCKET_RATE_LIMITED', Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
    }
    if (!(await this.acquire(socket))) {
      this.opts.metrics.recordError('TOO_MANY_SOCKETS');
      return connectRefusal('TOO_MANY_SOCKETS');
    }
    return undefined;
  }

  private async acquire(socket: TaskflowSocket): Promise<boolean> {
    const userId = socket.data.user.id;
    const max = this.opts.maxSocketsPerUser;
    try {
      if (this.redis.status !== 'ready') throw new Error('redis not ready');
      const now = Date.now();
      const ok = await (this.redis as AcquiringRedis).taskflowAcquireSocket(
        this.key(userId),
        now,
        now + this.opts.ttlMs,
        this.member(socket),
        max,
        this.opts.ttlMs,
      );
      return ok === 1;
    } catch {
      // Redis is down or stalled: hold the cap per node; the next refresh registers what was admitted meanwhile.
      return (this.local.get(userId) ?? 0) < max;
    }
  }

  /** The socket is connected (Socket.IO's `connection`): count it here until it goes. */
  admitted(socket: TaskflowSocket): void {
    const userId = socket.data.user.id;
    this.local.set(userId, (this.local.get(userId) ?? 0) + 1);
  }

  /** A handshake admitted here but refused by a later middleware: its place is freed (it was never connected). */
  withdrawn(socket: TaskflowSocket): void {
    if (this.redis.status === 'ready') void this.redis.zrem(this.key(socket.data.user.id), this.member(socket)).catch(() => undefined);
  }

  /** On disconnect: free its place at once (else it would count until its entry expires). */
  released(socket: TaskflowSocket): void {
    const userId = socket.data.user.id;
    const n = (this.local.get(userId) ?? 1) - 1;
    if (n > 0) this.local.set(userId, n);
    else this.local.delete(userId);
    if (this.redis.status === 'ready') void this.redis.zrem(this.key(userId), this.member(socket)).catch(() => undefined);
  }

  /** Re-stamps this node's connected sockets (entries of a handshake that never connected are left to expire). */
  private async refreshOnce(): Promise<void> {
    if (this.refreshing || this.redis.status !== 'ready') return;
    this.refreshing = true;
    try {
      const expiresAt = Date.now() + this.opts.ttlMs;
      const members = new Map<string, string[]>();
      for (const socket of this.io.of('/').sockets.values()) {
        const userId = socket.data.user?.id;
        if (!userId) continue;
        const key = this.key(userId);
        members.set(key, [...(members.get(key) ?? []), this.member(socket)]);
      }
      if (members.size === 0) return;
      // One pipeline on a single Redis; on a cluster the users' keys are in different slots, so one per key.
      const pipelines = this.redis instanceof Cluster ? [...members].map((entry) => [entry]) : [[...members]];
      await Promise.all(
        pipelines.map((entries) => {
          const pipeline = this.redis.pipeline();
          for (const [key, ms] of entries) pipeline.zadd(key, ...ms.flatMap((m) => [expiresAt, m])).pexpire(key, this.opts.ttlMs);
          return pipeline.exec();
        }),
      );
    } catch (err) {
      this.opts.logger.warn({ err }, 'socket count refresh failed');
    } finally {
      this.refreshing = false;
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
