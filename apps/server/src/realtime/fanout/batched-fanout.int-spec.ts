import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { eventually, redisAdaptersSubscribed, testEnv } from '@taskflow/testing';
import { closeRedisClient } from '@taskflow/queue';
import { createFanoutAdapter } from './yielding-fanout.adapter';

/**
 * Batches on a real Socket.IO node behind a real Redis adapter, with real socket.io-client sockets: dashboard
 * events come from another node through Redis (as the worker's and other nodes' do). A socket that says
 * `batch` in its handshake stands for one that joined its dashboard with `batch: true`.
 */
jest.setTimeout(60_000);

const WINDOW_MS = 500;
const ROOM = 'org:batch-test';
const closers: Array<() => Promise<unknown> | void> = [];
const writeErrors: unknown[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  expect(writeErrors).toEqual([]);
});

function redisPair() {
  const pub = new Redis(testEnv('TEST_REDIS_URL'));
  const sub = pub.duplicate();
  closers.push(
    () => closeRedisClient(pub),
    () => closeRedisClient(sub),
  );
  return { pub, sub };
}

async function startNodes(chunkSockets: number, windowMs = WINDOW_MS, maxWindowMs?: number) {
  const key = `batch-test-${randomBytes(4).toString('hex')}`;
  const { pub, sub } = redisPair();
  const server = http.createServer();
  const io = new Server(server, {
    transports: ['websocket'],
    adapter: createFanoutAdapter(
      pub,
      sub,
      { key },
      { chunkSockets, batchWindowMs: windowMs, batchMaxWindowMs: maxWindowMs, onError: (err) => writeErrors.push(err) },
    ),
  });
  io.on('connection', (socket) => {
    const auth = socket.handshake.auth as { batch?: boolean };
    socket.data.batch = auth.batch === true;
    void socket.join(ROOM);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => io.close());
  const other = redisPair();
  const otherIo = new Server({ adapter: createAdapter(other.pub, other.sub, { key }) });
  closers.push(() => otherIo.of('/').adapter.close());
  // What `other` broadcasts before the node's adapter has subscribed would be lost.
  await redisAdaptersSubscribed(pub, key, 2);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, io, other: otherIo };
}

interface Client {
  socket: ClientSocket;
  /** Every frame as received: event and payload. */
  frames: Array<{ event: string; payload: any }>;
}

async function client(url: string, batch: boolean): Promise<Client> {
  const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { batch } });
  const c: Client = { socket, frames: [] };
  socket.onAny((event: string, payload: unknown) => c.frames.push({ event, payload }));
  closers.push(() => void socket.close());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return c;
}

/** A client's frames unpacked, as the client library hands them to its listeners. */
const unpacked = (c: Client) => c.frames.flatMap((f) => (f.event === 'dashboard:batch' ? (f.payload.items as Client['frames']) : [f]));
/** The latest seq per task among a list of rows: what a dashboard shows in the end. */
const latestRows = (events: Client['frames']) => {
  const latest = new Map<string, number>();
  for (const e of events)
    if (e.event === 'dashboard:task_list_updated') latest.set(e.payload.taskId, Math.max(latest.get(e.payload.taskId) ?? 0, e.payload.seq));
  return Object.fromEntries([...latest].sort());
};
/** Waits until `check` stops throwing (20 s at most). */
const until = (check: () => void) =>
  eventually('the frames', async () => {
    check();
    return true;
  });
const row = (taskId: string, seq: number) => ({ taskId, seq, status: 'coding' });

describe.each([
  ['written at once', 0],
  ['written in yielding chunks', 1],
])('dashboard events for batching sockets (%s)', (_name, chunkSockets) => {
  it('packs a burst into few frames for batching sockets, every event its own frame for the others, the same rows in the end', async () => {
    const { url, other } = await startNodes(chunkSockets);
    const batching = await client(url, true);
    const plain = await client(url, false);
    // 4 tasks × 10 rows, a created and a count event: one burst, well inside the window.
    const sent: Client['frames'] = [{ event: 'task:created', payload: { taskId: 't9', seq: 1 } }];
    for (let seq = 1; seq <= 10; seq++)
      for (const t of ['t1', 't2', 't3', 't4']) sent.push({ event: 'dashboard:task_list_updated', payload: row(t, seq) });
    sent.push({ event: 'dashboard:task_count_changed', payload: { scope: 'shared', total: 4 } });
    for (const s of sent) other.to(ROOM).emit(s.event, s.payload);

    await until(() => expect(plain.frames).toHaveLength(sent.length));
    expect(plain.frames).toEqual(sent);
    await until(() => expect(latestRows(unpacked(batching))).toEqual(latestRows(sent)));
    // The first event after a quiet window goes at the end of its turn, with what else the turn brought; the rest of
    // the burst shares a frame at the window's end.
    expect(unpacked(batching)[0]).toEqual(sent[0]);
    expect(batching.frames.length).toBeLessThanOrEqual(3);
    const items = unpacked(batching);
    // Superseded rows left out: one per task in each frame (at most two frames carry rows), the count event kept.
    for (const f of batching.frames.filter((x) => x.event === 'dashboard:batch')) {
      const rows = (f.payload.items as Array<{ event: string; payload: { taskId: string } }>)
        .filter((i) => i.event === 'dashboard:task_list_updated')
        .map((i) => i.payload.taskId);
      expect(new Set(rows).size).toBe(rows.length);
    }
    expect(items.filter((i) => i.event === 'dashboard:task_list_updated').length).toBeLessThanOrEqual(8);
    expect(items.map((i) => i.event)).toContain('dashboard:task_count_changed');
    expect(batching.frames.every((f) => f.event !== 'dashboard:batch' || f.payload.items.length >= 2)).toBe(true);
  });

  it('writes a waiting batch before anything else delivered to the room, and before a broadcast to every socket', async () => {
    const { url, other } = await startNodes(chunkSockets);
    const batching = await client(url, true);
    // Rows of two tasks (a later row of the same task may replace an earlier one in a batch).
    other.to(ROOM).emit('dashboard:task_list_updated', row('t0', 1));
    other.to(ROOM).emit('dashboard:task_list_updated', row('t1', 1));
    other.to(ROOM).emit('presence:updated', { taskId: 't1', viewers: [] });
    await until(() => expect(batching.frames.map((f) => f.event)).toContain('presence:updated'));
    expect(unpacked(batching).map((f) => `${f.event} ${f.payload.taskId ?? ''}`.trim())).toEqual([
      'dashboard:task_list_updated t0',
      'dashboard:task_list_updated t1',
      'presence:updated t1',
    ]);

    // A broadcast to every socket (it comes through Redis after the rows, as it was published after them).
    other.to(ROOM).emit('dashboard:task_list_updated', row('t2', 1));
    other.to(ROOM).emit('dashboard:task_list_updated', row('t3', 1));
    other.emit('sync:required', { reason: 'subscription_interrupted' });
    await until(() => expect(batching.frames.map((f) => f.event)).toContain('sync:required'));
    const tail = unpacked(batching)
      .slice(3)
      .map((f) => `${f.event} ${f.payload.taskId ?? ''}`.trim());
    expect(tail).toEqual(['dashboard:task_list_updated t2', 'dashboard:task_list_updated t3', 'sync:required']);
    // They waited in a batch (the window had not passed since the presence frame): the flush put them first.
    expect(batching.frames.some((f) => f.event === 'dashboard:batch')).toBe(true);
  });

  it('adds no delay at a low rate: an event after a quiet window arrives at once, as itself', async () => {
    // A long window: an event held for it would arrive seconds late.
    const windowMs = 4_000;
    const { url, other } = await startNodes(chunkSockets, windowMs);
    const batching = await client(url, true);
    for (let seq = 1; seq <= 2; seq++) {
      const sentAt = Date.now();
      other.to(ROOM).emit('dashboard:task_list_updated', row('t1', seq));
      await until(() => expect(batching.frames).toHaveLength(seq));
      expect(Date.now() - sentAt).toBeLessThan(windowMs / 2);
      expect(batching.frames[seq - 1]).toEqual({ event: 'dashboard:task_list_updated', payload: row('t1', seq) });
      if (seq === 1) await new Promise((r) => setTimeout(r, windowMs + 50));
    }
  });

  it('writes a waiting batch before a socket joins the room: it goes to the sockets there when it arrived', async () => {
    // A long window: the second row waits in the room's batch when the second socket joins.
    const { url, other } = await startNodes(chunkSockets, 4_000);
    const first = await client(url, true);
    other.to(ROOM).emit('dashboard:task_list_updated', row('t1', 1));
    await until(() => expect(first.frames).toHaveLength(1));
    other.to(ROOM).emit('dashboard:task_list_updated', row('t1', 2));
    // Through Redis: wait until the node holds it (the window has not passed), then join.
    await new Promise((r) => setTimeout(r, 300));
    expect(first.frames).toHaveLength(1);
    const joinedAt = Date.now();
    const second = await client(url, true);
    // The batch was written at the join, to the first socket only (the join's snapshot covers it for the second).
    await until(() => expect(unpacked(first).map((f) => f.payload.seq)).toEqual([1, 2]));
    expect(Date.now() - joinedAt).toBeLessThan(2_000);
    other.to(ROOM).emit('dashboard:task_list_updated', row('t1', 3));
    await until(() => expect(unpacked(second).map((f) => f.payload.seq)).toEqual([3]));
  });
});

describe('a window that widens while the event loop is behind (WEBSOCKET_BATCH_MAX_WINDOW_MS)', () => {
  it('packs events 40 ms apart, which a 10 ms window sends one by one, once the node has been blocked', async () => {
    // The node runs in this process: blocking this event loop is blocking the node's.
    const { url, other } = await startNodes(0, 10, 1_000);
    const batching = await client(url, true);
    const events = 6;
    // Blocked 150 ms at a time (the window follows libuv's measured delay, read every 250 ms), then a burst.
    for (let i = 0; i < 4; i++) {
      const until = Date.now() + 150;
      while (Date.now() < until);
      await new Promise((r) => setTimeout(r, 20));
    }
    for (let seq = 1; seq <= events; seq++) {
      other.to(ROOM).emit('dashboard:task_list_updated', row(`t${seq}`, 1));
      await new Promise((r) => setTimeout(r, 40));
    }
    await until(() => expect(unpacked(batching)).toHaveLength(events));
    expect(unpacked(batching).map((f) => f.payload.taskId)).toEqual(['t1', 't2', 't3', 't4', 't5', 't6']);
    // The first goes at once; the others shared frames that the widened window held.
    expect(batching.frames[0]!.event).toBe('dashboard:task_list_updated');
    expect(batching.frames.length).toBeLessThanOrEqual(3);
  });
});
