import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { eventAddedPayload, rooms, toDashboardTask } from '@taskflow/events';
import { transition } from '@taskflow/store';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { eventually, login, openSocket, TaskMirror, testEnv, type TestSocket } from '@taskflow/testing';
import { closeRedisClient } from '@taskflow/queue';
import { startTestApp, type TestApp } from '../../testing/test-app';
import { queuedBytes } from './outbound-limit';
import { createFanoutAdapter, type YieldingFanoutAdapter } from './yielding-fanout.adapter';

/**
 * A slow client hurts nobody (issue 20, target 5): a socket whose TCP reading is paused (a proxy in between stops
 * reading from the node) while large broadcasts go to its room. Real node, PostgreSQL, Redis and socket.io-client.
 */
jest.setTimeout(120_000);

const LIMIT = 256 * 1024;
const FILLER = 'x'.repeat(8 * 1024);
/** The largest frame of the test (a filler and its envelope): what may be written while just under the limit. */
const FRAME = FILLER.length + 256;

const closers: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A TCP proxy to `port` that can stop reading what the server sends (the client's direction keeps flowing). */
async function pausableProxy(port: number) {
  const pairs: Array<{ up: net.Socket; down: net.Socket }> = [];
  const server = net.createServer((down) => {
    const up = net.connect(port, '127.0.0.1');
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
    down.pipe(up);
    up.pipe(down);
    pairs.push({ up, down });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    for (const { up, down } of pairs) {
      up.destroy();
      down.destroy();
    }
    return new Promise((resolve) => server.close(resolve));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pause: () => pairs.forEach(({ up, down }) => (up.unpipe(down), up.pause())),
    resume: () => pairs.forEach(({ up, down }) => up.pipe(down)),
  };
}

const fillerIndexes = (c: TestSocket) => c.of('test:filler').map((e) => (e.payload as { i: number }).i);
const yieldToIo = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Broadcasts fillers to `room` until `reached` says so (the kernel's buffers absorb the first megabytes), then `extra`
 * bytes more; returns how many were sent and the most the node held for `slow`. Paced by `fast` (a reader in this
 * process) when given: at most 8 fillers ahead of what it has read, so only the paused socket's buffer fills.
 */
async function flood(io: Server, room: string, slow: ServerSocket, reached: () => boolean, extra: number, from = 0, fast?: TestSocket) {
  let i = from;
  let maxQueued = 0;
  let extraSent = -1;
  for (; i < from + 3000 && extraSent < extra; i++) {
    (io.to(room) as unknown as { emit(e: string, p: unknown): void }).emit('test:filler', { i, pad: FILLER });
    maxQueued = Math.max(maxQueued, queuedBytes(slow));
    if (extraSent >= 0) extraSent += FILLER.length;
    else if (reached()) extraSent = 0;
    // Lets the node's writes reach the kernel (and the fast client read).
    await yieldToIo();
    for (let spins = 0; fast && fast.of('test:filler').length < i - 8 && spins < 10_000; spins++) await yieldToIo();
  }
  return { next: i, maxQueued, reached: extraSent >= 0 };
}

describe('with WEBSOCKET_MAX_BUFFERED_BYTES', () => {
  let t: TestApp;
  let url: string;

  beforeAll(async () => {
    t = await startTestApp({ WEBSOCKET_MAX_BUFFERED_BYTES: String(LIMIT) });
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('stops queueing for a paused socket past its limit, tells it once it drains, and it catches up; a fast one gets all', async () => {
    const token = await login(url, 'alice', FIXTURE_PASSWORD);
    const proxy = await pausableProxy(Number(new URL(url).port));
    const fast = await openSocket(url, { token });
    const slow = await openSocket(proxy.url, { token });
    closers.push(
      () => fast.close(),
      () => slow.close(),
    );
    const { task } = await t.f.newTask(t.f.users.alice);
    const fastMirror = new TaskMirror(fast, task.id);
    const slowMirror = new TaskMirror(slow, task.id);
    const slowDashboard = slow.taskflow.dashboard();
    closers.push(
      () => fastMirror.close(),
      () => slowMirror.close(),
      () => slowDashboard.close(),
    );
    expect((await fastMirror.join()).ok).toBe(true);
    expect((await slowMirror.join()).ok).toBe(true);
    await eventually('the dashboard', async () => (slowDashboard.getSnapshot().rows.get(task.id)?.seq === 1 ? true : undefined));
    const serverSlow = t.app.io.of('/').sockets.get(slow.socket.id!) as unknown as ServerSocket;
    expect(serverSlow).toBeDefined();

    const adapter = t.app.io.of('/').adapter as unknown as YieldingFanoutAdapter;

    proxy.pause();
    // Past the kernel's buffers, the node holds what it writes: past the limit, it must stop queueing.
    const behindOrPast = () => adapter.socketsBehind > 0 || queuedBytes(serverSlow) > LIMIT + FRAME;
    const first = await flood(t.app.io, rooms.task(task.id), serverSlow, behindOrPast, 4 * LIMIT, 0, fast);
    expect(first.reached).toBe(true);
    // A change committed while the socket is behind, and its broadcast (the worker's, in production): skipped for it.
    const { event, task: moved } = await transition(t.f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
    t.app.io.to(rooms.task(task.id)).emit('task:analyzing', { taskId: task.id, seq: 2, status: 'analyzing' });
    t.app.io.to(rooms.task(task.id)).emit('task:event_added', eventAddedPayload(task.id, event));
    // And the dashboard row to the org room, as the worker publishes it: the node also keeps it with its cached
    // dashboard snapshot, so the slow socket's re-join is sent the change after that (older) snapshot.
    t.app.io.to(rooms.org(moved.orgId)).emit('dashboard:task_list_updated', toDashboardTask(moved));
    await eventually('the fast client to get seq 2', async () => (fastMirror.last === 2 ? true : undefined));
    const second = await flood(t.app.io, rooms.task(task.id), serverSlow, () => true, 4 * LIMIT, first.next, fast);
    const maxQueued = Math.max(first.maxQueued, second.maxQueued);
    expect(maxQueued).toBeLessThanOrEqual(LIMIT + FRAME);
    const metrics = await t.metricsText();
    // Once at least (the kernel's buffers grow while they fill, so the queue may drain and fill again).
    expect(Number(/^taskflow_socket_fell_behind_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/^taskflow_socket_broadcasts_skipped_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(adapter.socketsBehind).toBe(1);

    proxy.resume();
    await eventually('the socket to drain', async () => (adapter.socketsBehind === 0 ? true : undefined));
    const sync = await slow.waitFor((e) => e.event === 'sync:required', 'sync:required', 30_000);
    expect(sync.payload).toEqual({ reason: 'fell_behind' });
    await eventually('the slow client to catch up to seq 2', async () => (slowMirror.last === 2 ? true : undefined));
    await eventually('its dashboard row', async () => (slowDashboard.getSnapshot().rows.get(task.id)?.seq === 2 ? true : undefined));
    expect(slowMirror.applied).toEqual([1, 2]);
    expect(slowMirror.status).toBe('analyzing');
    expect(slowDashboard.getSnapshot().rows.get(task.id)?.status).toBe('analyzing');
    expect(slowMirror.syncsRequired).toBeGreaterThanOrEqual(1);
    expect(slow.of('sync:required').map((e) => e.payload)).toEqual(
      slowMirror.syncsRequired === 1 ? [{ reason: 'fell_behind' }] : expect.anything(),
    );
    // What it did get came in order; it got broadcasts again after the sync:required.
    const got = fillerIndexes(slow);
    expect(got).toEqual([...got].sort((a, b) => a - b));
    expect(got.length).toBeLessThan(second.next);
    const after = second.next;
    (t.app.io.to(rooms.task(task.id)) as unknown as { emit(e: string, p: unknown): void }).emit('test:filler', { i: after, pad: '' });
    await eventually('a broadcast after it caught up', async () => (fillerIndexes(slow).at(-1) === after ? true : undefined));

    // The fast client, in the same room meanwhile: every broadcast, once, in order.
    await eventually('the fast client to get every filler', async () => (fillerIndexes(fast).length === after + 1 ? true : undefined));
    expect(fillerIndexes(fast)).toEqual(Array.from({ length: after + 1 }, (_, i) => i));
    expect(fastMirror.applied).toEqual([1, 2]);
    expect(fast.of('sync:required')).toEqual([]);
    expect(serverSlow.connected).toBe(true);
  });
});

describe('with WEBSOCKET_MAX_BUFFERED_BYTES=0', () => {
  it('queues everything for a paused socket, as plain Socket.IO does, and it gets every broadcast', async () => {
    const pub = new Redis(testEnv('TEST_REDIS_URL'));
    const sub = pub.duplicate();
    const server = http.createServer();
    const io = new Server(server, {
      transports: ['websocket'],
      adapter: createFanoutAdapter(
        pub,
        sub,
        { key: `slow-${randomBytes(4).toString('hex')}` },
        { chunkSockets: 0, maxBufferedBytes: 0, onError: () => {} },
      ),
    });
    io.on('connection', (socket) => void socket.join('room'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // Closed in reverse: Socket.IO (and its adapter's unsubscribe) before its Redis clients.
    closers.push(
      () => closeRedisClient(pub),
      () => closeRedisClient(sub),
      () => io.close(),
    );
    const proxy = await pausableProxy((server.address() as AddressInfo).port);
    const slow = await openSocket(proxy.url);
    closers.push(() => slow.close());
    const serverSlow = [...io.of('/').sockets.values()][0]!;

    proxy.pause();
    // Unbounded: the node keeps queueing well past what the limit would have allowed.
    const { next, maxQueued, reached } = await flood(io, 'room', serverSlow, () => queuedBytes(serverSlow) > 4 * LIMIT, LIMIT);
    expect(reached).toBe(true);
    expect(maxQueued).toBeGreaterThan(4 * LIMIT);
    proxy.resume();
    await eventually('every filler', async () => (fillerIndexes(slow).length === next ? true : undefined));
    expect(fillerIndexes(slow)).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(slow.of('sync:required')).toEqual([]);
  });
});
