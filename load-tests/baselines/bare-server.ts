import http from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { BARE_KEY, BARE_ROOM } from './bare-contract';

/**
 * The baseline: a bare Socket.IO node with the Redis adapter and nothing else (no auth,
 * no rate limits, no database). Clients join the one room with `dashboard:join` (acked
 * like the product), and a Redis emitter broadcasts to it. `/api/ready` answers 200 so
 * the product's HAProxy config can health-check it unchanged.
 * Started by the harness with PORT and REDIS_URL; reports its port over IPC.
 */
const port = Number(process.env.PORT);
const redisUrl = process.env.REDIS_URL ?? '';

const pub = new Redis(redisUrl);
const sub = pub.duplicate();
const httpServer = http.createServer((req, res) => {
  if (req.url === '/api/ready') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ready":true}');
  res.writeHead(404).end();
});
const io = new Server(httpServer, {
  transports: ['websocket', 'polling'],
  perMessageDeflate: false,
  adapter: createAdapter(pub, sub, { key: BARE_KEY }),
});
io.on('connection', (socket) => {
  socket.on('dashboard:join', (_data: unknown, ack?: (a: unknown) => void) => {
    void socket.join(BARE_ROOM);
    ack?.({ ok: true });
  });
});
httpServer.listen(port, '127.0.0.1', () => process.send?.({ type: 'listening', port }));
const stop = () => {
  // Not awaited: close() never rejects, and the exit below ends whatever it has not closed yet.
  void io.close();
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
