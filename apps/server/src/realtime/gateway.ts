import type { FastifyInstance } from 'fastify';
import { withDeadline, type Logger } from '@taskflow/platform';
import type { Db } from '@taskflow/store';
import type { CookieSessionDeps } from '../auth/session.cookie';
import type { ServerConfig } from '../config';
import { adapterSubscribed } from './transport/adapter-health';
import { tapBroadcasts } from './fanout/broadcast-tap';
import { connectionHandler } from './transport/connection.handler';
import { ConnectionLimits } from './transport/connection-limits';
import { DashboardSnapshots } from './rooms/dashboard-snapshots';
import { createMessageDispatch } from './handlers/message-dispatch';
import type { RealtimeMetrics } from './metrics';
import { Presence } from './presence/presence';
import { Rebalancer } from './rebalance/rebalancer';
import { readNodeStats } from '../admin/node-stats.publisher';
import { SocketRateLimits } from './handlers/rate-limit';
import { realtimeRedisPlugin } from './transport/realtime-redis.plugin';
import { resyncClientsAfterResubscribe } from './fanout/resubscribe';
import { createSessionGuard } from './transport/session-guard';
import { socketIoPlugin } from './transport/socket-io.plugin';
import type { TaskflowSocket } from './transport/socket-types';

/** A socket told to reconnect elsewhere that is still here after this long has its transport closed. */
const REBALANCE_GRACE_MS = 5000;

export interface GatewayDeps {
  config: ServerConfig;
  db: Db;
  logger: Logger;
  metrics: RealtimeMetrics;
  /** Browser sessions (cookie) the handshake and `session:refresh` check. */
  sessions: CookieSessionDeps;
  /** True once the node drains: no new connections. */
  isDraining: () => boolean;
  /** Refuses the handshake of a user not rolled in to live updates (rollout/live-switch.ts), after the connection limits. */
  liveGate?: (socket: TaskflowSocket, next: (err?: Error) => void) => void;
}

export interface Gateway {
  redisReady(): boolean;
  connectedUsers(): number;
}

/**
 * The Socket.IO gateway of one server node, composed in the order its shutdown
 * needs. Broadcasts from every node and worker arrive through the Redis adapter
 * (same key prefix as the workers' emitter); each client message goes through
 * the message dispatch.
 */
export async function registerGateway(app: FastifyInstance, deps: GatewayDeps): Promise<Gateway> {
  const { config, db, metrics, logger } = deps;
  // First, so that its onClose (closing the Redis clients) runs after Socket.IO's.
  await app.register(realtimeRedisPlugin, { redis: config.redis, logger });
  // Before Socket.IO's own preClose disconnects the sockets: presence stops touching Redis.
  const presenceRef: { current?: Presence } = {};
  app.addHook('preClose', (done) => {
    presenceRef.current?.close();
    done();
  });
  await app.register(socketIoPlugin, { config, isDraining: deps.isDraining, metrics });
  const { io, realtimeRedis: redis } = app;

  resyncClientsAfterResubscribe(redis.sub, io, { logger, metrics });
  const snapshots = new DashboardSnapshots(db, redis.sub, { onRead: () => metrics.snapshotReads.inc() });
  tapBroadcasts(redis.sub, io, { snapshots, metrics });
  const presence = new Presence(io, redis.pub, {
    nodeId: config.NODE_ID,
    ttlMs: config.PRESENCE_TTL_MS,
    prefix: config.REDIS_KEY_PREFIX,
    logger,
  });
  presenceRef.current = presence;
  metrics.observeState({ presenceEntries: () => presence.size });
  const limits = new SocketRateLimits(redis.limiter, {
    perSocket: config.WEBSOCKET_RATE_PER_SOCKET,
    perUser: config.WEBSOCKET_RATE_PER_USER,
    prefix: config.REDIS_KEY_PREFIX,
  });

  const session = createSessionGuard(app, { cookie: deps.sessions, metrics, logger, tokenRecheckMs: config.TOKEN_VERSION_CACHE_MS });
  io.use((socket, next) => session.middleware(socket, next));
  // After the session guard (it names the user): how many sockets the user has, and how fast they open them.
  const connectionLimits = new ConnectionLimits(redis.limiter, io, {
    maxSocketsPerUser: config.WEBSOCKET_MAX_SOCKETS_PER_USER,
    connectsPerMinute: config.WEBSOCKET_CONNECTS_PER_MINUTE,
    prefix: config.REDIS_KEY_PREFIX,
    nodeId: config.NODE_ID,
    ttlMs: config.PRESENCE_TTL_MS,
    logger,
    metrics,
  });
  app.addHook('preClose', (done) => {
    connectionLimits.close();
    done();
  });
  io.use((socket, next) => connectionLimits.middleware(socket, next));
  // Last: a handshake the limits refuse costs no rollout decision; one it refuses gives its admitted place back.
  const { liveGate } = deps;
  if (liveGate)
    io.use((socket, next) =>
      liveGate(socket, (err) => {
        if (err) connectionLimits.withdrawn(socket);
        next(err);
      }),
    );
  const flags = { dashboard: config.FEATURE_WEBSOCKET_DASHBOARD, taskDetail: config.FEATURE_WEBSOCKET_TASK_DETAIL };
  const onMessage = createMessageDispatch({
    limits,
    metrics,
    logger,
    context: {
      db,
      presence,
      session,
      snapshots,
      flags,
      batching: config.WEBSOCKET_BATCH_WINDOW_MS > 0,
      timelinePageSize: config.TIMELINE_PAGE_SIZE,
      webhookScreen: metrics.webhookScreen,
    },
  });
  // After a scale-out: sockets move, a few per second, from nodes above their share to the new, emptier ones.
  const rebalancer = new Rebalancer(io, {
    nodeId: config.NODE_ID,
    margin: config.REBALANCE_MARGIN,
    maxSharePerSecond: config.REBALANCE_MAX_SHARE_PER_SECOND,
    minExcess: config.REBALANCE_MIN_EXCESS,
    intervalMs: config.REBALANCE_INTERVAL_MS,
    graceMs: REBALANCE_GRACE_MS,
    clusterCounts: () => withDeadline(readNodeStats(redis.pub, config.REDIS_KEY_PREFIX), config.REBALANCE_INTERVAL_MS),
    isDraining: deps.isDraining,
    onMoved: () => metrics.rebalanced.inc(),
    logger: logger.child({ component: 'rebalance' }),
  });
  app.addHook('preClose', (done) => {
    rebalancer.close();
    done();
  });
  io.on('connection', connectionHandler({ metrics, logger, session, presence, onMessage, connectionLimits }));

  return {
    redisReady: () => adapterSubscribed(redis.pub, redis.sub),
    connectedUsers: () => new Set([...io.of('/').sockets.values()].map((s) => s.data.user?.id)).size,
  };
}
