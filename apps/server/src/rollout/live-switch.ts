import type { FastifyInstance } from 'fastify';
import { LIVE_RECHECK_SECONDS } from '@taskflow/events';
import { withDeadline, type Logger, type RedisSettings } from '@taskflow/platform';
import { createRedisClient, type RedisClient } from '@taskflow/queue';
import {
  decideFromSnapshot,
  readLiveRolloutSnapshot,
  readLiveRolloutVersion,
  type Db,
  type LiveDecision,
  type LiveRolloutSnapshot,
} from '@taskflow/store';
import type { SessionUser } from '../auth/auth.plugin';
import { connectRefusal } from '../realtime/transport/connection-limits';
import type { TaskflowSocket } from '../realtime/transport/socket-types';

/** A page that polled `/api/config` this recently (and was told to poll) counts as polling. */
const POLLING_WINDOW_SECONDS = 3 * LIVE_RECHECK_SECONDS;

export interface LiveSwitchDeps {
  db: Db;
  redis: RedisSettings;
  keyPrefix: string;
  logger: Logger;
  /** How often the node compares the rollout's version with its copy (a missed `rollout:changed` is seen by then). */
  refreshMs?: number;
  /** How long the admin view's cluster-wide count of live users is reused (it asks every node for its sockets). */
  countsCacheMs?: number;
}

type Decided = Pick<SessionUser, 'id' | 'orgId'>;

/**
 * Applies the rollout (store/live-rollout.ts) to sockets: a handshake of a user who is not rolled in is refused
 * (`LIVE_OFF`: the client polls), and after every change each node re-decides for the users of its own sockets,
 * telling those taken out (`live:off`) and disconnecting them. Users let in learn it from `/api/config`, which
 * their polling page asks every LIVE_RECHECK_SECONDS (and is noted here, for the admin view's counts).
 *
 * Decisions are synchronous, from a copy of the rollout in memory (settings and overrides, small tables): reloaded
 * on `rollout:changed` and whenever the periodic version check finds it moved, so a node that missed the broadcast
 * catches up within `refreshMs`. Each reload bumps `generation`; a handshake decided on an older one is decided
 * again when it connects (it was not among the sockets the reload re-checked).
 */
export class LiveSwitch {
  private readonly redis: RedisClient;
  private readonly pollingKey: string;
  private app: FastifyInstance | undefined;
  private snapshot: LiveRolloutSnapshot | undefined;
  /** The reload under way (reloads run one after another, so the last one started reads the latest state). */
  private loading: Promise<LiveRolloutSnapshot> | undefined;
  private generation = 0;
  /** The generation each handshake was decided on, until it connects. */
  private readonly decidedOn = new WeakMap<TaskflowSocket, number>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing = false;
  private liveUsers: { at: number; users: Promise<Decided[]> } | undefined;

  constructor(private readonly deps: LiveSwitchDeps) {
    // Its own client, failing fast: the counts are best effort and must never hold up /api/config.
    this.redis = createRedisClient(deps.redis, { enableOfflineQueue: true, maxRetriesPerRequest: 1, connectTimeout: 3000 });
    this.redis.on('error', (err) => deps.logger.debug({ err: err.message }, 'live switch redis error'));
    this.pollingKey = `${deps.keyPrefix}rollout:polling`;
  }

  /** Reads the rollout again (after the one under way, which may have read it before the change). */
  private reload(): Promise<LiveRolloutSnapshot> {
    const next = (this.loading ?? Promise.resolve(undefined))
      .catch(() => undefined)
      .then(() => readLiveRolloutSnapshot(this.deps.db))
      .then((s) => {
        this.snapshot = s;
        this.generation += 1;
        return s;
      });
    this.loading = next;
    void next.then(
      () => this.loading === next && (this.loading = undefined),
      () => this.loading === next && (this.loading = undefined),
    );
    return next;
  }

  private current(): Promise<LiveRolloutSnapshot> {
    return this.snapshot ? Promise.resolve(this.snapshot) : (this.loading ?? this.reload());
  }

  /** This user's place in the rollout: no query once the node holds its copy. */
  async decide(user: Decided): Promise<LiveDecision> {
    return decideFromSnapshot(this.snapshot ?? (await this.current()), user);
  }

  /** Socket.IO middleware, after the session guard (it names the user) and the connection limits. */
  readonly middleware = (socket: TaskflowSocket, next: (err?: Error) => void): void => {
    const admit = (snapshot: LiveRolloutSnapshot) => {
      this.decidedOn.set(socket, this.generation);
      next(decideFromSnapshot(snapshot, socket.data.user).live ? undefined : connectRefusal('LIVE_OFF'));
    };
    if (this.snapshot) return admit(this.snapshot);
    this.current().then(admit, (err: unknown) => {
      this.deps.logger.warn({ err }, 'live rollout check failed');
      next(connectRefusal('UNAVAILABLE'));
    });
  };

  /** Wires the gateway (when there is one): the middleware is added by the gateway, this listens for other nodes' changes. */
  attach(app: FastifyInstance): void {
    this.app = app;
    this.timer = setInterval(() => void this.refreshOnce(), this.deps.refreshMs ?? 30_000);
    this.timer.unref();
    // Warm: the first handshakes and polls then decide without waiting for a read.
    void this.refreshOnce();
    app.addHook('onClose', () => {
      clearInterval(this.timer);
      this.redis.disconnect();
    });
    if (!app.hasDecorator('io')) return;
    app.io.on('rollout:changed', () => void this.reloadAndRecheck());
    app.io.on('connection', (socket) => {
      const decidedOn = this.decidedOn.get(socket);
      this.decidedOn.delete(socket);
      // Decided before a reload that did not see it yet: decide again now.
      if (decidedOn !== undefined && decidedOn !== this.generation) this.recheck([socket]);
    });
  }

  /** After a change: every node (this one included) re-decides for its sockets' users. */
  async changed(): Promise<number> {
    if (this.app?.hasDecorator('io')) this.app.io.serverSideEmit('rollout:changed');
    return this.reloadAndRecheck();
  }

  private async reloadAndRecheck(): Promise<number> {
    try {
      await this.reload();
    } catch (err) {
      // The periodic check tries again.
      this.deps.logger.warn({ err }, 'live rollout reload failed');
      return 0;
    }
    return this.recheck();
  }

  /** The periodic check: one cheap query; a reload and a re-check only when the rollout moved (or was never read). */
  private async refreshOnce(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      const version = this.snapshot ? await readLiveRolloutVersion(this.deps.db) : undefined;
      if (version === undefined || version !== this.snapshot?.version) await this.reloadAndRecheck();
    } catch (err) {
      this.deps.logger.warn({ err }, 'live rollout version check failed');
    } finally {
      this.refreshing = false;
    }
  }

  /** Tells this node's sockets (or `only` these) of users no longer rolled in, and closes them. Returns how many. */
  recheck(only?: TaskflowSocket[]): number {
    const app = this.app;
    const snapshot = this.snapshot;
    if (!app?.hasDecorator('io') || !snapshot) return 0;
    const sockets = (only ?? [...app.io.of('/').sockets.values()]).filter((s) => s.data.user && s.connected);
    let closed = 0;
    for (const s of sockets) {
      if (decideFromSnapshot(snapshot, s.data.user).live) continue;
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
      // One cluster-wide fetch per node every few seconds, however many admin tabs ask (and while one is under way).
      const maxAge = this.deps.countsCacheMs ?? 10_000;
      if (!this.liveUsers || Date.now() - this.liveUsers.at >= maxAge) {
        const users = withDeadline(app.io.fetchSockets(), 5000).then(
          (sockets) => sockets.map((s) => s.data.user).filter((u): u is SessionUser => u !== undefined),
          () => {
            // Not kept: the next request asks again.
            if (this.liveUsers?.users === users) this.liveUsers = undefined;
            return [];
          },
        );
        this.liveUsers = { at: Date.now(), users };
      }
      for (const u of await this.liveUsers.users) if (inScope(u)) liveUsers.add(u.id);
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
