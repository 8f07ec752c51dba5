import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { TaskflowClient } from '@taskflow/client';
import { FIRST_LIVE_FRAME_MARK, markFirstLiveFrame } from './first-live-frame';

const clients: TaskflowClient[] = [];
let io: Server;
let url: string;
beforeAll(async () => {
  const server = http.createServer();
  io = new Server(server);
  // Like the gateway: the first frame follows the client's join, a second one follows later.
  io.on('connection', (socket) => {
    socket.on('dashboard:join', (_m: unknown, ack: (a: unknown) => void) => {
      ack({ ok: true, data: {} });
      socket.emit('dashboard:state', { seq: 1 });
      setTimeout(() => socket.emit('notifications:state', { seq: 2 }), 50);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => performance.clearMarks());
afterAll(async () => {
  for (const c of clients) c.close();
  await io.close();
});

const connect = () => {
  const c = new TaskflowClient({ url, realtime: true, socketOptions: { transports: ['websocket'], autoConnect: false } });
  clients.push(c);
  return c;
};
const marks = () => performance.getEntriesByName(FIRST_LIVE_FRAME_MARK, 'mark') as PerformanceMark[];
const until = async (check: () => boolean) => {
  for (const deadline = Date.now() + 5000; !check(); await new Promise((r) => setTimeout(r, 10)))
    if (Date.now() > deadline) throw new Error('timed out');
};

it('marks the first server frame once, with its event name, and not the connect itself', async () => {
  const c = connect();
  markFirstLiveFrame(c.socket!);
  c.socket!.connect();
  await until(() => c.socket!.connected);
  expect(marks()).toHaveLength(0);
  const before = performance.now();
  c.socket!.emit('dashboard:join', {}, () => undefined);
  await until(() => marks().length > 0);
  expect(marks()[0]!.detail).toEqual({ event: 'dashboard:state' });
  expect(marks()[0]!.startTime).toBeGreaterThanOrEqual(before);
  // The later frame does not move it.
  await new Promise<void>((r) => c.socket!.once('notifications:state' as never, () => r()));
  expect(marks()).toHaveLength(1);
});

it('keeps the page load’s first mark when the app makes a new client (a new login, live again after polling)', async () => {
  performance.mark(FIRST_LIVE_FRAME_MARK, { detail: { event: 'earlier' } });
  const c = connect();
  markFirstLiveFrame(c.socket!);
  c.socket!.connect();
  await until(() => c.socket!.connected);
  c.socket!.emit('dashboard:join', {}, () => undefined);
  await new Promise<void>((r) => c.socket!.once('notifications:state' as never, () => r()));
  expect(marks().map((m) => m.detail)).toEqual([{ event: 'earlier' }]);
});
