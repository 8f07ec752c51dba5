import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import { TaskFeed, TaskflowClient, type TaskFeedTrace } from '@taskflow/client';
import { eventAddedPayload, rooms, SOCKET_IO_REDIS_KEY, type ServerToClientEvents } from '@taskflow/events';
import { transition } from '@taskflow/store';
import { createStoreFixture, FIXTURE_PASSWORD, type StoreFixture } from '@taskflow/store/testing';
import { eventually, login, testEnv } from '@taskflow/testing';
import { closeRedisClient } from '@taskflow/queue';
import { startServerNode, type ServerNode } from '../testing/server-node';

/**
 * `@taskflow/client` against a real server process (its own specs use an in-process fake gateway; drains, node kills
 * and Redis restarts are the fault suites'): a refused token, the message rate limit, a gap, a server-side disconnect.
 */
jest.setTimeout(90_000);

/** A budget that 12 joins at once exceed several times over: most of them are answered RATE_LIMITED at first. */
const RATE_PER_SOCKET = 3;
let f: StoreFixture;
let node: ServerNode;
let token: string;
let redis: Redis;
let emitter: Emitter<ServerToClientEvents>;
const clients: TaskflowClient[] = [];
const feeds: TaskFeed[] = [];

// Starts a server process (up to 60 s on a busy machine, see startServerNode): a budget above that.
beforeAll(async () => {
  f = await createStoreFixture();
  node = await startServerNode(f.url, { WEBSOCKET_RATE_PER_SOCKET: String(RATE_PER_SOCKET), LOG_LEVEL: 'warn' });
  token = await login(node.url, 'alice', FIXTURE_PASSWORD);
  redis = new Redis(testEnv('TEST_REDIS_URL'));
  emitter = new Emitter<ServerToClientEvents>(redis, { key: SOCKET_IO_REDIS_KEY });
}, 120_000);
afterAll(async () => {
  for (const feed of feeds) feed.close();
  for (const client of clients) client.close();
  if (redis) await closeRedisClient(redis);
  await node?.process.stop('SIGKILL');
  await f?.close();
});

function client(options: { token?: string } = {}): TaskflowClient {
  const c = new TaskflowClient({ url: node.url, token: options.token ?? token });
  clients.push(c);
  return c;
}

function feed(c: TaskflowClient, taskId: string, traces: TaskFeedTrace[] = []): TaskFeed {
  const fd = new TaskFeed(c, taskId, { onTrace: (t) => traces.push(t) });
  feeds.push(fd);
  return fd;
}

/** Resolves once the feed's view is at `seq` and live. */
const liveAt = (fd: TaskFeed, seq: number, timeoutMs = 20_000) =>
  eventually(
    `task ${fd.taskId} live at seq ${seq}`,
    async () => {
      const s = fd.getSnapshot();
      return s.live && s.view?.last === seq ? true : undefined;
    },
    timeoutMs,
  );

it('ends the session on a refused token with INVALID_TOKEN, and does not try again', async () => {
  const c = client({ token: 'nope' });
  let attempts = 0;
  c.socket!.on('connect_error', () => (attempts += 1));
  await eventually('the client to end', async () => (c.getSnapshot().status === 'ended' ? true : undefined), 10_000);
  expect(c.getSnapshot().error?.code).toBe('INVALID_TOKEN');
  // Proving that nothing happens needs a wait: a retry (backoff from 250 ms, or socket.io's own from 1 s) would
  // show within 2 s.
  await new Promise((r) => setTimeout(r, 2000));
  expect(attempts).toBe(1);
  expect(c.getSnapshot().status).toBe('ended');
  expect(c.socket!.active).toBe(false);
});

it(`follows every task when ${4 * RATE_PER_SOCKET} feeds join at once on a socket allowed ${RATE_PER_SOCKET} messages a second`, async () => {
  const tasks = [];
  for (let i = 0; i < 4 * RATE_PER_SOCKET; i++) {
    const { task } = await f.newTask(f.users.alice, { title: `rate ${i}` });
    await transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
    tasks.push(task);
  }
  const c = client();
  await eventually('connected', async () => (c.connected ? true : undefined));
  const traces: TaskFeedTrace[] = [];
  const opened = tasks.map((task) => feed(c, task.id, traces));
  await Promise.all(opened.map((fd) => liveAt(fd, 2, 60_000)));
  for (const fd of opened) {
    expect(fd.getSnapshot()).toMatchObject({ notFound: false, live: true, error: undefined });
    expect(fd.getSnapshot().view?.events.map((e) => e.seq)).toEqual([1, 2]);
  }
  // The limit was hit (the test exercised the retry), and answered with the contract's code.
  const refused = traces.filter((t) => t.kind === 'retry' && t.message === 'task:join');
  expect(refused.length).toBeGreaterThan(0);
  expect(new Set(refused.map((t) => (t.kind === 'retry' ? t.code : undefined)))).toEqual(new Set(['RATE_LIMITED']));
});

it('sees a gap, resyncs and ends with every event once, in order', async () => {
  const { task } = await f.newTask(f.users.alice, { title: 'gap' });
  const c = client();
  const traces: TaskFeedTrace[] = [];
  const fd = feed(c, task.id, traces);
  await liveAt(fd, 1);
  // Three events committed; the node broadcasts only the last (the outbox relay would send all three).
  await transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
  await transition(f.db, { taskId: task.id, from: 'analyzing', to: 'needs_clarification', event: 'clarification_needed' });
  const last = await transition(f.db, { taskId: task.id, from: 'needs_clarification', to: 'analyzing', event: 'clarified' });
  emitter.to(rooms.task(task.id)).emit('task:event_added', eventAddedPayload(task.id, last.event));
  await liveAt(fd, 4);
  expect(traces).toContainEqual({ kind: 'gap', seq: 4, last: 1 });
  expect(traces).toContainEqual({ kind: 'resync', since: 1 });
  expect(fd.getSnapshot().view?.events.map((e) => [e.seq, e.eventType])).toEqual([
    [1, 'created'],
    [2, 'analyzing'],
    [3, 'clarification_needed'],
    [4, 'clarified'],
  ]);
  expect(fd.getSnapshot().view?.task.status).toBe('analyzing');
  // Each seq applied once: by the resync's events, the live one held back as out of order.
  expect(traces.filter((t) => t.kind === 'applied').map((t) => (t.kind === 'applied' ? t.seq : 0))).toEqual([2, 3, 4]);
});

it('connects again after the server disconnects the socket (not a session end) and the feed re-joins', async () => {
  const { task } = await f.newTask(f.users.alice, { title: 'disconnect' });
  const c = client();
  const reasons: string[] = [];
  c.on('disconnect', (reason) => reasons.push(reason));
  const fd = feed(c, task.id);
  await liveAt(fd, 1);
  // Through the Redis adapter: the node itself disconnects alice's sockets, as it would without ending the session.
  emitter.in(rooms.user(f.users.alice.id)).disconnectSockets(true);
  await eventually('the server-side disconnect', async () => (reasons.length > 0 ? true : undefined));
  expect(reasons).toEqual(['io server disconnect']);
  await eventually('connected again', async () => (c.getSnapshot().status === 'connected' ? true : undefined));
  await liveAt(fd, 1);
  // Re-joined the room: a change broadcast now reaches the feed.
  const next = await transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
  emitter.to(rooms.task(task.id)).emit('task:event_added', eventAddedPayload(task.id, next.event));
  await liveAt(fd, 2);
  expect(c.getSnapshot().status).toBe('connected');
});
