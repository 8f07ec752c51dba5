import { createAdapter } from '@socket.io/redis-adapter';
import type { FastifyInstance } from 'fastify';
import fastifySocketIO from 'fastify-socket.io';
import type { IncomingMessage } from 'node:http';
import { Redis } from 'ioredis';
import { CLIENT_MESSAGES, rooms, SOCKET_IO_REDIS_KEY, validate, type ClientMessageName } from '@taskflow/events';
import { AppError, type Logger } from '@taskflow/platform';
import type { Db } from '@taskflow/store';
import type { CookieSessionDeps } from '../auth/session.cookie';
import type { ServerConfig } from '../config';
import { observeBroadcast } from './broadcast-observer';
import { DashboardSnapshots } from './dashboard-snapshots';
import { adapterSubscribed } from './adapter-health';
import { isClientMessage, unknownEventMessage } from './client-event';
import { HANDLERS } from './handlers';
import type { RealtimeMetrics } from './metrics';
import { Presence } from './presence';
import { resyncClientsAfterResubscribe } from './resubscribe';
import { createSessionGuard } from './session-guard';
import { LIMITER_COMMAND_TIMEOUT_MS, messageCost, SocketRateLimits } from './rate-limit';
import type { TaskflowServer, TaskflowSocket } from './socket-types';

declare module 'fastify' {
  interface FastifyInstance {
    io: TaskflowServer;
  }
}

export interface GatewayDeps {
  config: ServerConfig;
  db: Db;
  logger: Logger;
  metrics: RealtimeMetrics;
  /** Browser sessions (cookie) the handshake and `session:refresh` check. */
  sessions: CookieSessionDeps;
  /** True once the node drains: no new connections. */
  isDraining: () => boolean;
}

export interface Gateway {
  redisReady(): boolean;
  connectedUsers(): number;
}

type Ack = (answer: unknown) => void;

/**
 * The Socket.IO gateway of one server node. Broadcasts from every node and
 * worker arrive through the Redis adapter (same key prefix as the workers'
 * emitter). Each message is authorised, validated and rate-limited, and
 * answered by an acknowledgement `{ ok, data? | error? }`.
 */
export async function registerGateway(app: FastifyInstance, deps: GatewayDeps): Promise<Gateway> {
  const { config, metrics, logger } = deps;
  const pub = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 });
  // The adapter subscribes once, at start: its commands must wait for Redis, however long, rather than be
  // given up (ioredis re-subscribes after a reconnect only what Redis had acknowledged).
  const sub = pub.duplicate({ maxRetriesPerRequest: null });
  const limiterRedis = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: LIMITER_COMMAND_TIMEOUT_MS });
  for (const [name, client] of [['pub', pub], ['sub', sub], ['limiter', limiterRedis]] as const) {
    // Without listeners a Redis outage would crash the node; ioredis reconnects and resubscribes by itself.
    client.on('error', (err) => logger.warn({ err: err.message, client: name }, 'realtime redis error'));
  }

  // Registered before the Socket.IO plugin so that it runs after it on close: the adapter unsubscribes
  // (on these clients) when Socket.IO closes, so the clients must outlive that.
  app.addHook('onClose', async () => {
    await Promise.allSettled([pub, sub, limiterRedis].map((c) => (c.status === 'ready' ? c.quit() : Promise.resolve(c.disconnect()))));
  });
  // Before Socket.IO's own preClose disconnects the sockets: presence stops touching Redis.
  const presenceRef: { current?: Presence } = {};
  app.addHook('preClose', (done) => {
    presenceRef.current?.close();
    done();
  });
  // Subscribe on a live connection when Redis is up; when it is down, start anyway (ioredis resubscribes later).
  await Promise.all([pub, sub].map((c) => whenReady(c, 3000)));
  await app.register(fastifySocketIO, {
    transports: ['websocket', 'polling'],
    // One encoding per broadcast for all recipients, and no per-socket compression state.
    perMessageDeflate: false,
    maxHttpBufferSize: config.WEBSOCKET_MAX_FRAME_BYTES,
    cors: { origin: [...config.allowedOrigins], credentials: true },
    allowRequest: (req: IncomingMessage, callback: (err: string | null | undefined, ok: boolean) => void) => {
      if (deps.isDraining()) return callback('This node is shutting down', false);
      // CORS does not cover WebSocket: a browser's foreign Origin is refused here. Non-browser clients send none.
      const origin = req.headers.origin;
      if (origin && !config.allowedOrigins.includes(origin)) return callback('Origin not allowed', false);
      callback(null, true);
    },
    adapter: createAdapter(pub, sub, { key: SOCKET_IO_REDIS_KEY }),
    // Recovery comes from PostgreSQL by seq (docs/architecture.md#the-event-log-and-seq): the Redis adapter keeps nothing to recover from.
    connectionStateRecovery: undefined,
    // Drain: close each transport rather than send a server-side disconnect (`io server disconnect`), after
    // which socket.io-client would not reconnect; on `transport close` it reconnects, through HAProxy, to another node.
    preClose: (done) => {
      for (const socket of app.io.of('/').sockets.values()) socket.conn.close();
      done();
    },
  });
  const io = app.io;
  resyncClientsAfterResubscribe(sub, io, { logger, metrics });
  // Broadcast count and commit→broadcast lag, read off the adapter's channel: once per broadcast this node
  // delivers (its room has local sockets), never per socket.
  const channelPrefix = `${SOCKET_IO_REDIS_KEY}#/#`;
  const snapshots = new DashboardSnapshots(deps.db, sub);
  sub.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, message: Buffer) => {
    const room = channel.toString().slice(channelPrefix.length, -1);
    // Even without local sockets in the room: a socket joining later must not get a snapshot from before it.
    snapshots.changed(room);
    if (room && !io.of('/').adapter.rooms.has(room)) return;
    observeBroadcast(message, metrics);
  });
  const viewers = new Presence(io, pub, { nodeId: config.NODE_ID, ttlMs: config.PRESENCE_TTL_MS, prefix: config.QUEUE_PREFIX, logger });
  presenceRef.current = viewers;
  metrics.observeState({ presenceEntries: () => viewers.size });
  const limits = new SocketRateLimits(limiterRedis, {
    perSocket: config.WEBSOCKET_RATE_PER_SOCKET,
    perUser: config.WEBSOCKET_RATE_PER_USER,
    prefix: config.QUEUE_PREFIX,
  });

  const sessionGuard = createSessionGuard(app, { cookie: deps.sessions, metrics, logger });
  io.use((socket, next) => sessionGuard.middleware(socket, next));

  io.on('connection', (socket) => {
    const user = socket.data.user;
    metrics.connections.inc();
    void socket.join(rooms.user(user.id));
    // All tabs of one browser session share a room: a logout anywhere ends them together.
    if (user.sessionId) void socket.join(rooms.session(user.sessionId));
    // Middleware runs once per connection: a session that ends later must end the socket then.
    sessionGuard.watch(socket);
    // Nothing a frame carries may become an unhandled rejection; onMessage answers every expected failure itself.
    socket.onAny((event: unknown, ...args: unknown[]) => {
      onMessage(socket, event, args).catch((err: unknown) => {
        metrics.recordError('INTERNAL');
        logger.warn({ err, userId: socket.data.user?.id }, 'socket message failed');
      });
    });
    socket.on('disconnect', () => {
      metrics.connections.dec();
      void viewers.leaveAll(socket).catch((err: unknown) => logger.warn({ err }, 'presence cleanup failed'));
    });
  });

  // Sockets that made their first dashboard join: that one is free against the user's budget (see SocketRateLimits).
  const dashboardJoined = new WeakSet<TaskflowSocket>();

  async function onMessage(socket: TaskflowSocket, event: unknown, args: unknown[]): Promise<void> {
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Ack) : undefined;
    const fail = (code: string, message: string) => {
      metrics.recordError(code);
      socket.emit('error', { code, message });
      ack?.({ ok: false, error: { code, message } });
    };
    const known = isClientMessage(event);
    metrics.received.inc({ event: known ? event : 'unknown' });
    if (!known) return fail('UNKNOWN_EVENT', unknownEventMessage(event));
    const name = event as ClientMessageName;
    try {
      const cost = messageCost(name, args[0]);
      const firstJoin = name === 'dashboard:join' && !dashboardJoined.has(socket);
      if (firstJoin) dashboardJoined.add(socket);
      if (!(await limits.allow(socket.id, socket.data.user.id, cost, firstJoin ? 0 : cost))) return fail('RATE_LIMITED', 'Too many messages; slow down');
      const checked = validate(CLIENT_MESSAGES[name], args[0] ?? {});
      if (!checked.ok) return fail('INVALID_PAYLOAD', `Invalid ${name}: ${checked.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`);
      const handler = HANDLERS[name] as (ctx: Parameters<(typeof HANDLERS)[typeof name]>[0], m: unknown) => Promise<unknown>;
      const data = await handler({ socket, db: deps.db, presence: viewers, session: sessionGuard, snapshots, flags: { dashboard: config.FEATURE_WEBSOCKET_DASHBOARD, taskDetail: config.FEATURE_WEBSOCKET_TASK_DETAIL } }, checked.value);
      ack?.({ ok: true, ...(data === undefined ? {} : { data }) });
    } catch (err) {
      if (err instanceof AppError) return fail(err.code, err.message);
      logger.error({ err, event: name, userId: socket.data.user.id }, 'socket handler failed');
      fail('INTERNAL', 'Something went wrong on our side');
    }
  }

  return {
    redisReady: () => adapterSubscribed(pub, sub),
    connectedUsers: () => new Set([...io.of('/').sockets.values()].map((s) => s.data.user?.id)).size,
  };
}

function whenReady(client: Redis, timeoutMs: number): Promise<void> {
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
