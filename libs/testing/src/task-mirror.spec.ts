import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import type { TimelineEvent } from '@taskflow/events';
import { openSocket, type TestSocket } from './socket-client';
import { TaskMirror } from './task-mirror';

/** The mirror records what the client library's TaskFeed does, against a real in-process Socket.IO server. */
const taskId = '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
const ev = (seq: number, status: string): TimelineEvent => ({
  seq,
  eventType: 'analyzing',
  payload: { taskId, seq, status },
  createdAt: new Date(seq * 1000).toISOString(),
});

let httpServer: http.Server;
let server: Server;
let url: string;
let joinFailures: string[] = [];
let joins = 0;
const committed = [ev(2, 'analyzing'), ev(3, 'dispatched'), ev(4, 'coding')];
const sockets: TestSocket[] = [];

beforeAll(async () => {
  httpServer = http.createServer();
  server = new Server(httpServer);
  server.on('connection', (socket) => {
    socket.on('task:join', (_msg: unknown, ack: (a: unknown) => void) => {
      joins += 1;
      const code = joinFailures.shift();
      if (code) return ack({ ok: false, error: { code, message: code } });
      void socket.join('t');
      socket.emit('task:state', { taskId, seq: 1, task: { id: taskId, seq: 1, status: 'received' }, events: [ev(1, 'received')] });
      ack({ ok: true, data: { seq: 1 } });
    });
    socket.on('resync_requested', (msg: { since: Record<string, number> }, ack: (a: unknown) => void) => {
      const events = committed.filter((e) => e.seq > msg.since[taskId]!);
      ack({ ok: true, data: { results: [{ taskId, kind: 'events', events }] } });
    });
  });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await server.close();
});

const until = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const added = (seq: number) => server.to('t').emit('task:event_added', { taskId, seq, event: committed.find((e) => e.seq === seq) });

it('records the join retries, the snapshot, live events, duplicates, a gap and its resync, and sync:required', async () => {
  joinFailures = ['UNAVAILABLE', 'RATE_LIMITED'];
  const client = await openSocket(url);
  sockets.push(client);
  const mirror = new TaskMirror(client, taskId);
  expect((await mirror.join()).ok).toBe(true);
  await until(() => mirror.last === 1, 'the snapshot');
  expect({ joins, retries: mirror.retries, snapshots: mirror.snapshots, status: mirror.status }).toEqual({
    joins: 3,
    retries: 2,
    snapshots: 1,
    status: 'received',
  });
  added(2);
  added(2);
  added(4);
  await until(() => mirror.last === 4, 'the resync after the gap');
  expect({ applied: mirror.applied, live: mirror.live, gaps: mirror.gaps, status: mirror.status }).toEqual({
    applied: [1, 2, 3, 4],
    live: [2, 2, 4],
    gaps: 1,
    status: 'coding',
  });
  server.emit('sync:required', { reason: 'subscription_interrupted' });
  await until(() => mirror.syncsRequired === 1, 'sync:required');
  expect(mirror.applied).toEqual([1, 2, 3, 4]);
});

it('answers join() with a refusal retrying cannot fix', async () => {
  joinFailures = ['NOT_FOUND'];
  const client = await openSocket(url);
  sockets.push(client);
  const mirror = new TaskMirror(client, taskId);
  expect(await mirror.join()).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'NOT_FOUND' } });
  expect(mirror.snapshots).toBe(0);
});
