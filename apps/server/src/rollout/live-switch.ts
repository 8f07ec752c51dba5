import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { LIVE_RECHECK_SECONDS } from '@taskflow/events';
import { withDeadline, type Logger } from '@taskflow/platform';
import { liveDecision, liveDecisions, type Db, type LiveDecision } from '@taskflow/store';
import type { SessionUser } from '../auth/auth.plugin';
import { connectRefusal } from '../realtime/transport/connection-limits';
import type { TaskflowSocket } from '../realtime/transport/socket-types';

/** A page that polled `/api/config` this recently (and was told to poll) counts as polling. */
const POLLING_WINDOW_SECONDS = 3 * LIVE_RECHECK_SECONDS;

export interface LiveSwitchDeps {
  db: Db;
  redisUrl: string;
  keyPrefix: string;
  logger: Logger;
}

/**
 * Applies the rollout (store/live-rollout.ts) to sockets: a handshake of a user who is not rolled in is refused
 * (`LIVE_OFF`: the client polls), and after every change each node re-decides for the users of its own sockets,
 * telling those taken out (`live:off`) and disconnecting them. Users let in learn it from `/api/config`, which
 * their polling page asks every LIVE_RECHECK_SECONDS (and is noted here, for the admin view's counts).
 */
export class LiveSwitch {
  private readonly redis: Redis;
  private readonly pollingKey: string;
  private app: FastifyInstance | undefined;

  constructor(private readonly deps: LiveSwitchDeps) {
    // Its own client, failing fast: the counts are best effort and must never hold up /api/config.
    this.redis = new Redis(deps.redisUrl, { enableOfflineQueue: true, maxRetriesPerRequest: 1, connectTimeout: 3000 });
    this.redis.on('error', (err) => deps.logger.debug({ err: err.message }, 'live switch redis error'));
    this.pollingKey = `${deps.keyPrefix}rollout:polling`;
  }

  decide(userId: string): Promise<LiveDecision> {
    return liveDecision(this.deps.db, userId);
  }

  /** Socket.IO middleware, after the session guard (it names the user). */
  readonly middleware = (socket: TaskflowSocket, next: (err?: Error) => void): void => {
    this.decide(socket.data.user.id).then(
      (d) => next(d.live ? undefined : connectRefusal('LIVE_OFF')),
      (err: unknown) => {
        this.deps.logger.warn({ err }, 'live rollout check failed');
        next(connectRefusal('UNAVAILABLE'));
      },
    );
  };

  /** Wires the gateway (when there is one): the middleware is added by the gateway, this listens for other nodes' changes. */
  attach(app: FastifyInstance): void {
    this.app = app;
    app.addHook('onClose', () => void this.redis.disconnect());
    if (app.hasDecorator('io')) app.io.on('rollout:changed', () => void this.recheck());
  }

  /** After a change: every node (this one included) re-decides for its sockets' users. */
  changed(): Promise<number> {
    if (this.app?.hasDecorator('io')) this.app.io.serverSideEmit('rollout:changed');
    return this.recheck();
  }

  /** Tells this node's sockets of users no longer rolled in, and closes them. Returns how many were closed. */
  async recheck(): Promise<number> {
    const app = this.app;
    if (!app?.hasDecorator('io')) return 0;
    const sockets = [...app.io.of('/').sockets.values()].filter((s) => s.data.user);
    const decisions = await liveDecisions(this.deps.db, [...new Set(sockets.map((s) => s.data.user.id))]).catch((err: unknown) => {
      this.deps.logger.warn({ err }, 'live rollout re-check failed');
      return undefined;
    });
    if (!decisions) return 0;
    let closed = 0;
    for (const s of sockets) {
      if (decisions.get(s.data.user.id)?.live !== false) continue;
      s.emit('live:off', { reason: 'rollout' });
      s.disconnect(true);
      closed += 1;
    }
    if (closed > 0) this.deps.logger.info({ closed }, 'sockets of users taken out of the live rollout closed');
    return closed;
  }

  /** A page of `user` asked /api/config and was told to poll. */
  notePolling(user: SessionUser): void {
    this.redis.zadd(this.pollingKey, Date.now(), `${user.orgId}:${user.id}`).catch(() => undefined);
  }

  /** Users live now (a socket on any node) and polling (recently told to poll), in an org or the cluster. */
  async counts(orgId: string | undefined): Promise<{ live: number; polling: number; pollingWindowSeconds: number }> {
    const app = this.app;
    const inScope = (user: { orgId: string } | undefined) => user !== undefined && (orgId === undefined || user.orgId === orgId);
    const liveUsers = new Set<string>();
    if (app?.hasDecorator('io')) {
      const sockets = await withDeadline(app.io.fetchSockets(), 5000).catch(() => []);
      for (const s of sockets) if (inScope(s.data.user)) liveUsers.add(s.data.user.id);
    }
    const since = Date.now() - POLLING_WINDOW_SECONDS * 1000;
    const members = await withDeadline(
      this.redis.multi().zremrangebyscore(this.pollingKey, '-inf', since).zrangebyscore(this.pollingKey, since, '+inf').exec(),
      2000,
    )
      .then((r) => (r?.[1]?.[1] as string[] | undefined) ?? [])
      .catch(() => [] as string[]);
    let polling = 0;
    for (const m of members) {
      const [org, user] = m.split(':');
      // A page that polled, then went live, is live.
      if ((orgId === undefined || org === orgId) && !liveUsers.has(user!)) polling += 1;
    }
    return { live: liveUsers.size, polling, pollingWindowSeconds: POLLING_WINDOW_SECONDS };
  }
}
