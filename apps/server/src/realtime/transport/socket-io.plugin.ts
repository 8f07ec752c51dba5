import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import fastifySocketIO from 'fastify-socket.io';
import type { IncomingMessage } from 'node:http';
import { SOCKET_IO_REDIS_KEY } from '@taskflow/events';
import type { ServerConfig } from '../../config';
import type { RealtimeMetrics } from '../metrics';
import type { TaskflowServer } from './socket-types';
import { createFanoutAdapter, createShardedFanoutAdapter, type FanoutOptions } from '../fanout/yielding-fanout.adapter';

declare module 'fastify' {
  interface FastifyInstance {
    io: TaskflowServer;
  }
}

export interface SocketIoOptions {
  config: Pick<
    ServerConfig,
    | 'WEBSOCKET_MAX_FRAME_BYTES'
    | 'WEBSOCKET_FANOUT_CHUNK'
    | 'WEBSOCKET_BATCH_WINDOW_MS'
    | 'WEBSOCKET_BATCH_MAX_WINDOW_MS'
    | 'WEBSOCKET_MAX_BUFFERED_BYTES'
    | 'allowedOrigins'
    | 'redis'
  >;
  /** Counts the sockets that fell behind and the broadcasts they were not sent. */
  metrics?: Pick<RealtimeMetrics, 'fellBehind' | 'skippedWrites'>;
  /** True once the node drains: no new connections. */
  isDraining: () => boolean;
}

/**
 * Socket.IO on the app's HTTP server (`app.io`), with the Redis adapter on the
 * clients of the realtime-redis plugin (registered before it), so broadcasts of
 * every node and worker reach this node's sockets.
 */
const socketIo: FastifyPluginAsync<SocketIoOptions> = async (app, { config, isDraining, metrics }) => {
  const { pub, sub } = app.realtimeRedis;
  const fanout: FanoutOptions = {
    chunkSockets: config.WEBSOCKET_FANOUT_CHUNK,
    batchWindowMs: config.WEBSOCKET_BATCH_WINDOW_MS,
    batchMaxWindowMs: config.WEBSOCKET_BATCH_MAX_WINDOW_MS,
    maxBufferedBytes: config.WEBSOCKET_MAX_BUFFERED_BYTES,
    onFellBehind: () => metrics?.fellBehind.inc(),
    onSkipped: () => metrics?.skippedWrites.inc(),
    onError: (err) => app.log.warn({ err }, 'broadcast write failed'),
  };
  await app.register(fastifySocketIO, {
    transports: ['websocket', 'polling'],
    // One encoding per broadcast for all recipients, and no per-socket compression state.
    perMessageDeflate: false,
    maxHttpBufferSize: config.WEBSOCKET_MAX_FRAME_BYTES,
    cors: { origin: [...config.allowedOrigins], credentials: true },
    allowRequest: (req: IncomingMessage, callback: (err: string | null | undefined, ok: boolean) => void) => {
      if (isDraining()) return callback('This node is shutting down', false);
      // CORS does not cover WebSocket: a browser's foreign Origin is refused here. Non-browser clients send none.
      const origin = req.headers.origin;
      if (origin && !config.allowedOrigins.includes(origin)) return callback('Origin not allowed', false);
      callback(null, true);
    },
    // WEBSOCKET_FANOUT_CHUNK > 0: broadcasts written in chunks that yield (health checks, connections served under load);
    // WEBSOCKET_BATCH_WINDOW_MS > 0: dashboard events packed into fewer frames for the sockets that ask;
    // WEBSOCKET_MAX_BUFFERED_BYTES > 0: a socket that reads too slowly is skipped until it drains, then told to resync.
    // On a Redis Cluster (REDIS_MODE=cluster): sharded pub/sub, and a node subscribes only to the rooms it hosts
    // (the classic adapter's pattern subscription would bring every broadcast to every node).
    adapter:
      config.redis.mode === 'cluster'
        ? createShardedFanoutAdapter(pub, sub, { channelPrefix: SOCKET_IO_REDIS_KEY, subscriptionMode: 'dynamic' }, fanout)
        : createFanoutAdapter(pub, sub, { key: SOCKET_IO_REDIS_KEY }, fanout),
    // Recovery comes from PostgreSQL by seq (docs/architecture.md#the-event-log-and-seq): the Redis adapter keeps nothing to recover from.
    connectionStateRecovery: undefined,
    // Drain: close each transport rather than send a server-side disconnect (`io server disconnect`), after
    // which socket.io-client would not reconnect; on `transport close` it reconnects, through HAProxy, to another node.
    preClose: (done) => {
      for (const socket of app.io.of('/').sockets.values()) socket.conn.close();
      done();
    },
  });
};

export const socketIoPlugin = fp(socketIo, { name: 'socket-io', dependencies: ['realtime-redis'] });
