import { Emitter } from '@socket.io/redis-emitter';
import { createSigner } from 'fast-jwt';
import { Redis } from 'ioredis';
import {
  dashboardRoomOf,
  rooms,
  SOCKET_IO_REDIS_KEY,
  TOKEN_AUDIENCE,
  toDashboardTask,
  validate,
  SERVER_EVENTS,
  type ServerToClientEvents,
} from '@taskflow/events';
import { transition } from '@taskflow/store';
import { eventually, openSocket, testEnv, type TestSocket } from '@taskflow/testing';
import { closeRedisClient } from '@taskflow/queue';
import { JWT_ISSUER } from '../auth/auth.plugin';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../testing/test-app';

/**
 * One real server node (listening) with the Socket.IO gateway and the Redis
 * adapter; broadcasts are sent the way workers send them, through the Redis
 * emitter. A control client on the same node must keep receiving throughout.
 */
jest.setTimeout(60_000);

let t: TestApp;
let url: string;
let redis: Redis;
let emitter: Emitter<ServerToClientEvents>;
let control: TestSocket;
let ticker: NodeJS.Timeout;
const open: TestSocket[] = [];

const token = (user: { id: string; orgId: string; username: string; name: string }, opts: { secret?: string; expiresIn?: number } = {}) =>
  createSigner({
    key: opts.secret ?? TEST_JWT_SECRET,
    algorithm: 'HS256',
    iss: JWT_ISSUER,
    aud: TOKEN_AUDIENCE,
    expiresIn: opts.expiresIn ?? 3_600_000,
  })({
    sub: user.id,
    org: user.orgId,
    username: user.username,
    name: user.name,
    ver: 0,
  });

async function connect(user: 'alice' | 'bob' | 'carol', opts: Parameters<typeof openSocket>[1] = {}) {
  const s = await openSocket(url, { token: token(t.f.users[user]), ...opts });
  open.push(s);
  return s;
}

beforeAll(async () => {
  t = await startTestApp({
    WEBSOCKET_CORS_ORIGIN: 'http://allowed.test',
    WEBSOCKET_RATE_PER_SOCKET: '5',
    WEBSOCKET_MAX_FRAME_BYTES: '4096',
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address() as { port: number };
  url = `http://127.0.0.1:${address.port}`;
  redis = new Redis(testEnv('TEST_REDIS_URL'));
  emitter = new Emitter<ServerToClientEvents>(redis, { key: SOCKET_IO_REDIS_KEY });
  control = await connect('bob');
  await control.request('dashboard:join');
  let n = 0;
  ticker = setInterval(
    () =>
      emitter
        .to(rooms.org(t.f.users.bob.orgId))
        .emit('dashboard:task_count_changed', { activeCount: ++n, completedCount: 0, failedCount: 0, total: n, scope: 'shared' }),
    50,
  );
});
afterAll(async () => {
  clearInterval(ticker);
  for (const s of open) s.close();
  await closeRedisClient(redis);
  await t.close();
});

/** The control client is still being served: a fresh broadcast reaches it. */
async function controlStillReceives() {
  const before = control.of('dashboard:task_count_changed').length;
  await control.waitFor(() => control.of('dashboard:task_count_changed').length > before + 2, 'control broadcasts');
  expect(control.socket.connected).toBe(true);
}

describe('connection', () => {
  // The message for people, the contract's code (CONNECT_ERRORS) in `err.data.code` for programs.
  it('refuses a missing token', async () => {
    await expect(openSocket(url, {})).rejects.toMatchObject({
      message: expect.stringMatching(/Authentication required/),
      data: { code: 'UNAUTHENTICATED' },
    });
  });
  it('refuses an expired token', async () => {
    await expect(openSocket(url, { token: token(t.f.users.alice, { expiresIn: 1 }) })).rejects.toMatchObject({
      message: expect.stringMatching(/Session expired/),
      data: { code: 'TOKEN_EXPIRED' },
    });
  });
  it('refuses a token signed with another secret', async () => {
    await expect(openSocket(url, { token: token(t.f.users.alice, { secret: 'x'.repeat(40) }) })).rejects.toMatchObject({
      message: 'Invalid token',
      data: { code: 'INVALID_TOKEN' },
    });
  });
  it('refuses a browser Origin that is not allowed, and accepts the allowed one', async () => {
    await expect(connect('alice', { extraHeaders: { origin: 'http://evil.test' } })).rejects.toThrow();
    await expect(connect('alice', { transports: ['polling'], extraHeaders: { origin: 'http://evil.test' } })).rejects.toThrow();
    const ok = await connect('alice', { extraHeaders: { origin: 'http://allowed.test' } });
    expect(ok.socket.connected).toBe(true);
    await controlStillReceives();
  });
  it('disconnects a socket when its token expires', async () => {
    const s = await connect('alice');
    s.close();
    const short = await openSocket(url, { token: token(t.f.users.alice, { expiresIn: 1500 }) });
    open.push(short);
    // 1.5 s after the token was signed; the deadline is a ceiling for a busy machine.
    const err = await short.waitFor((e) => e.event === 'error', 'expiry error', 15_000);
    expect(err.payload).toEqual({ code: 'TOKEN_EXPIRED', message: 'Session expired: log in again' });
    await eventually('the server to close the socket', async () => (short.socket.connected ? undefined : true), 5000);
  });
});

describe('bad input', () => {
  it('answers an unknown event with a clear error', async () => {
    const s = await connect('alice');
    const ack = await s.requestRaw('task:delete', { taskId: 'x' });
    expect(ack).toEqual({ ok: false, error: { code: 'UNKNOWN_EVENT', message: 'Unknown event "task:delete"' } });
    expect(s.of('error')[0]?.payload).toMatchObject({ code: 'UNKNOWN_EVENT' });
    await controlStillReceives();
  });

  it.each([
    ['task:join', { taskId: 42 }],
    ['task:join', { taskId: 'not-a-uuid' }],
    ['task:join', 'a string'],
    ['resync_requested', { taskIds: 'nope' }],
    ['dashboard:join', { sneaky: true }],
    ['dashboard:join', { batch: 'yes' }],
  ])('answers %s %j with INVALID_PAYLOAD', async (event, payload) => {
    const s = await connect('alice');
    const ack = await s.requestRaw(event, payload);
    expect(ack.ok).toBe(false);
    expect(ack.error?.code).toBe('INVALID_PAYLOAD');
    expect(ack.error?.message).toMatch(new RegExp(`Invalid ${event}`));
  });

  it('answers a resync `since` past PostgreSQL integer (the seq column) with INVALID_PAYLOAD, where it answered INTERNAL', async () => {
    const { task } = await t.f.newTask(t.f.users.alice);
    const s = await connect('alice');
    const past = await s.requestRaw('resync_requested', { taskIds: [task.id], since: { [task.id]: 2 ** 31 } });
    expect(past.error).toEqual({
      code: 'INVALID_PAYLOAD',
      message: expect.stringMatching(/^Invalid resync_requested: \/since\/.* 2147483647/),
    });
    const last = await s.request('resync_requested', { taskIds: [task.id], since: { [task.id]: 2 ** 31 - 1 } });
    expect(last).toEqual({ ok: true, data: { results: [{ taskId: task.id, kind: 'events', events: [] }] } });
    expect(t.logs().filter((l) => l.level >= 50)).toEqual([]);
  });

  it('drops a client that sends an oversized frame, and only that client', async () => {
    const s = await connect('alice');
    const closed = new Promise<string>((resolve) => s.socket.once('disconnect', resolve));
    s.socket.emit('task:join', { taskId: 'x'.repeat(10_000) });
    expect(await closed).toMatch(/transport (close|error)/);
    await controlStillReceives();
  });

  it('rate-limits a flood with RATE_LIMITED, without disconnecting', async () => {
    const s = await connect('alice');
    const acks = await Promise.all(Array.from({ length: 15 }, () => s.request('dashboard:leave')));
    const limited = acks.filter((a) => a.error?.code === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(acks.filter((a) => a.ok).length).toBeGreaterThan(0);
    expect(s.of('error').some((e) => e.payload.code === 'RATE_LIMITED')).toBe(true);
    expect(s.socket.connected).toBe(true);
    await controlStillReceives();
  });
});

describe('rooms', () => {
  it('task:join answers task:state (valid per the contract) and receives the task room; others get the same NOT_FOUND', async () => {
    const { task } = await t.f.newTask(t.f.users.alice);
    const { task: secret } = await t.f.newTask(t.f.users.alice, { isPrivate: true });
    const alice = await connect('alice');
    const bob = await connect('bob');
    const carol = await connect('carol');

    expect(await alice.request('task:join', { taskId: task.id })).toEqual({ ok: true, data: { seq: 1 } });
    const state = await alice.waitFor((e) => e.event === 'task:state', 'task:state');
    expect(validate(SERVER_EVENTS['task:state'], state.payload).ok).toBe(true);
    expect(state.payload).toMatchObject({ taskId: task.id, seq: 1, events: [{ seq: 1, eventType: 'created' }] });

    const missing = await carol.request('task:join', { taskId: '00000000-0000-4000-8000-000000000000' });
    expect(await carol.request('task:join', { taskId: task.id })).toEqual(missing);
    expect(await bob.request('task:join', { taskId: secret.id })).toEqual(missing);
    expect(missing).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'Task not found' } });

    emitter.to(rooms.task(task.id)).emit('task:analyzing', { taskId: task.id, seq: 2, status: 'analyzing' });
    emitter.to(rooms.task(secret.id)).emit('task:analyzing', { taskId: secret.id, seq: 2, status: 'analyzing' });
    await alice.waitFor((e) => e.event === 'task:analyzing' && e.payload.taskId === task.id, 'live event');
    // Nothing arrives for the others: given the time it took Alice's to arrive, and then some.
    await new Promise((r) => setTimeout(r, 300));
    expect(carol.of('task:analyzing')).toEqual([]);
    expect(bob.of('task:analyzing')).toEqual([]);

    expect(await alice.request('task:leave', { taskId: task.id })).toEqual({ ok: true });
    emitter.to(rooms.task(task.id)).emit('task:coding', { taskId: task.id, seq: 3, status: 'coding' });
    // Nothing arrives: a time in which it would have.
    await new Promise((r) => setTimeout(r, 300));
    expect(alice.of('task:coding')).toEqual([]);
  });

  it('dashboard:join answers the first page, counts and cursor of visible tasks only', async () => {
    const carol = await connect('carol');
    await t.f.newTask(t.f.users.carol, { title: 'globex task' });
    expect((await carol.request('dashboard:join')).ok).toBe(true);
    const state = await carol.waitFor((e) => e.event === 'dashboard:state', 'dashboard:state');
    expect(validate(SERVER_EVENTS['dashboard:state'], state.payload).ok).toBe(true);
    expect(state.payload.tasks.map((x: any) => x.title)).toEqual(['globex task']);
    expect(state.payload.counts).toEqual({ activeCount: 1, completedCount: 0, failedCount: 0, total: 1 });
  });

  it("sends a private task's dashboard rows to its creator's sockets on the dashboard only, until they leave it", async () => {
    const { task: secret } = await t.f.newTask(t.f.users.alice, { isPrivate: true });
    const dashboard = await connect('alice');
    const taskPage = await connect('alice');
    const bob = await connect('bob');
    for (const s of [dashboard, bob]) expect((await s.request('dashboard:join', {})).ok).toBe(true);
    const row = (seq: number) => ({ ...toDashboardTask(secret), seq, updatedAt: new Date().toISOString() });
    emitter.to(dashboardRoomOf(secret)).emit('dashboard:task_list_updated', row(2));
    await dashboard.waitFor((e) => e.event === 'dashboard:task_list_updated' && e.payload.taskId === secret.id, 'the private row');
    // Alice's socket that shows no dashboard (a task page) and her colleague's dashboard get nothing.
    await new Promise((r) => setTimeout(r, 300));
    expect(taskPage.of('dashboard:task_list_updated')).toEqual([]);
    expect(bob.of('dashboard:task_list_updated')).toEqual([]);
    // Left: no more private rows either.
    expect((await dashboard.request('dashboard:leave')).ok).toBe(true);
    emitter.to(dashboardRoomOf(secret)).emit('dashboard:task_list_updated', row(3));
    await new Promise((r) => setTimeout(r, 300));
    expect(dashboard.of('dashboard:task_list_updated').map((e) => e.payload.seq)).toEqual([2]);
  });

  it('packs a burst of dashboard rows into batches for a socket that joined with batch: true, and only for it', async () => {
    const batching = await connect('carol');
    const plain = await connect('carol');
    expect(await batching.request('dashboard:join', { batch: true })).toMatchObject({ ok: true, data: { batch: true } });
    expect((await plain.request('dashboard:join')).data).toEqual({ count: expect.any(Number) });
    const { task } = await t.f.newTask(t.f.users.carol, { title: 'burst' });
    const row = (seq: number) => ({ ...toDashboardTask(task), seq, updatedAt: new Date().toISOString() });
    for (let seq = 1; seq <= 12; seq++) emitter.to(rooms.org(t.f.users.carol.orgId)).emit('dashboard:task_list_updated', row(seq));
    await plain.waitFor((e) => e.event === 'dashboard:task_list_updated' && e.payload.seq === 12, 'the last row, plain');
    expect(plain.of('dashboard:task_list_updated').map((e) => e.payload.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const rowsOf = () =>
      batching.events.flatMap((e) =>
        e.event === 'dashboard:batch'
          ? e.payload.items.map((i: { payload: { seq: number } }) => i.payload.seq)
          : e.event === 'dashboard:task_list_updated'
            ? [e.payload.seq]
            : [],
      );
    await eventually('the last row, batched', async () => (rowsOf().includes(12) ? true : undefined));
    // Fewer rows than sent (superseded ones left out), in order, ending with the latest; every batch valid.
    const seqs = rowsOf();
    expect(seqs.length).toBeLessThan(12);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    for (const b of batching.of('dashboard:batch')) expect(validate(SERVER_EVENTS['dashboard:batch'], b.payload).ok).toBe(true);
  });

  it("serves a user's further dashboard joins from one read, followed by the room's events that reached the node since", async () => {
    // Carol may have joined in an earlier test: her snapshot may be that one, followed by what reached her org since.
    const first = await connect('carol');
    expect((await first.request('dashboard:join')).ok).toBe(true);
    const before = (await first.waitFor((e) => e.event === 'dashboard:state', 'first state')).payload;
    const reads = await metricValue('taskflow_dashboard_snapshot_reads_total');
    // Committed but not broadcast yet: a second tab's snapshot is the node's, without a read of its own.
    const { task } = await t.f.newTask(t.f.users.carol, { title: 'not announced yet' });
    const second = await connect('carol');
    expect((await second.request('dashboard:join')).ok).toBe(true);
    const cached = (await second.waitFor((e) => e.event === 'dashboard:state', 'second state')).payload;
    expect(cached).toEqual(before);
    // The broadcast reaches the node, and the tabs in the room.
    const row = { ...toDashboardTask(task), seq: 1, updatedAt: new Date().toISOString() };
    const counts = {
      ...before.counts,
      activeCount: before.counts.activeCount + 1,
      total: before.counts.total + 1,
      scope: 'shared' as const,
    };
    emitter.to(rooms.org(t.f.users.carol.orgId)).emit('dashboard:task_list_updated', { ...row, counts });
    await second.waitFor((e) => e.event === 'dashboard:task_list_updated' && e.payload.taskId === task.id, 'the announced row');
    // A third tab, joining after it: the same snapshot (no read), then the row it missed, right after the snapshot.
    const third = await connect('carol');
    expect((await third.request('dashboard:join')).ok).toBe(true);
    await third.waitFor((e) => e.event === 'dashboard:task_list_updated' && e.payload.taskId === task.id, 'the missed row');
    const ours = (e: { event: string; payload: { taskId?: string } }) =>
      e.event === 'dashboard:task_list_updated' && e.payload.taskId === task.id;
    expect(third.events.findIndex((e) => e.event === 'dashboard:state')).toBeLessThan(third.events.findIndex(ours));
    expect(third.events.find((e) => e.event === 'dashboard:state')?.payload).toEqual(before);
    expect(third.events.filter(ours).map((e) => e.payload)).toEqual([{ ...row, counts }]);
    // A batching tab gets the same as one `dashboard:batch` frame.
    const fourth = await connect('carol');
    expect((await fourth.request('dashboard:join', { batch: true })).ok).toBe(true);
    const batch = await fourth.waitFor((e) => e.event === 'dashboard:batch', 'the missed row, batched');
    expect(batch.payload.items.at(-1)).toEqual({ event: 'dashboard:task_list_updated', payload: { ...row, counts } });
    expect(await metricValue('taskflow_dashboard_snapshot_reads_total')).toBe(reads);
    // A tab that joined before the broadcast got it live, not again after its snapshot.
    expect(second.events.filter(ours)).toHaveLength(1);
  });

  it('resync returns exactly the missed events, a snapshot without `since`, and not_found for hidden tasks', async () => {
    const { task } = await t.f.newTask(t.f.users.alice);
    await transition(t.f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
    await transition(t.f.db, { taskId: task.id, from: 'analyzing', to: 'failed', event: 'failed', patch: { errorMessage: 'x' } });
    const { task: hidden } = await t.f.newTask(t.f.users.carol);
    const alice = await connect('alice');
    const ack = await alice.request('resync_requested', { taskIds: [task.id, hidden.id], since: { [task.id]: 1 } });
    expect(ack.ok).toBe(true);
    const [first, second] = ack.data?.results ?? [];
    expect(first).toMatchObject({ taskId: task.id, kind: 'events' });
    expect(first?.kind === 'events' && first.events.map((e) => e.seq)).toEqual([2, 3]);
    expect(second).toEqual({ taskId: hidden.id, kind: 'not_found' });
    const snap = await alice.request('resync_requested', { taskIds: [task.id] });
    expect(snap.data?.results[0]).toMatchObject({ kind: 'state', state: { taskId: task.id, seq: 3 } });
  });
});

describe('presence', () => {
  it('lists who views a task, as they join, leave and disconnect', async () => {
    const { task } = await t.f.newTask(t.f.users.alice);
    const alice = await connect('alice');
    const bob = await connect('bob');
    const viewers = (s: TestSocket) =>
      s
        .of('presence:updated')
        .filter((e) => e.payload.taskId === task.id)
        .map((e) => e.payload.viewers.map((v: any) => v.name));
    await alice.request('task:join', { taskId: task.id });
    await alice.waitFor((e) => e.event === 'presence:updated', 'first presence');
    expect(viewers(alice).at(-1)).toEqual(['Alice']);
    await bob.request('task:join', { taskId: task.id });
    await alice.waitFor(() => viewers(alice).at(-1)?.length === 2, 'bob joins');
    expect(viewers(alice).at(-1)).toEqual(['Alice', 'Bob']);
    await bob.request('task:leave', { taskId: task.id });
    await alice.waitFor(() => viewers(alice).at(-1)?.length === 1, 'bob leaves');
    await bob.request('task:join', { taskId: task.id });
    await alice.waitFor(() => viewers(alice).at(-1)?.length === 2, 'bob again');
    bob.close();
    await alice.waitFor(() => viewers(alice).at(-1)?.length === 1 && viewers(alice).length >= 5, 'bob disconnects');
    expect(viewers(alice).at(-1)).toEqual(['Alice']);
  });
});

describe('health, readiness, metrics', () => {
  it('reports the websocket block, readiness and Prometheus series', async () => {
    // The node's detail is on its metrics listener, not the public /api/health.
    const health = await t.app.metricsServer.inject({ method: 'GET', url: '/health' });
    expect(health.json().websocket).toEqual({
      connectedUsers: expect.any(Number),
      messagesPerSecond: expect.any(Number),
      totalErrors: expect.any(Number),
      connectedSockets: expect.any(Number),
    });
    expect(health.json().websocket.connectedUsers).toBeGreaterThan(0);
    expect(health.json().websocket.connectedSockets).toBeGreaterThanOrEqual(health.json().websocket.connectedUsers);
    expect(health.json().websocket.totalErrors).toBeGreaterThan(0);
    expect((await t.app.inject({ method: 'GET', url: '/api/ready' })).statusCode).toBe(200);
    const metrics = await t.metricsText();
    // Not on the public port: the load balancer forwards that one.
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).body).not.toContain('taskflow_socket_connections');
    expect(metrics).toMatch(/taskflow_socket_connections \d+/);
    expect(metrics).toMatch(/taskflow_socket_broadcasts_total\{event="dashboard:task_count_changed"\} \d+/);
    expect(metrics).toMatch(/taskflow_socket_errors_total\{code="RATE_LIMITED"\} \d+/);
    expect(metrics).toContain('taskflow_publish_lag_seconds_bucket');
  });

  it('records the commit → broadcast lag of dashboard rows a node delivers', async () => {
    const before = await metricValue('taskflow_publish_lag_seconds_count');
    const bytesBefore = await metricValue('taskflow_redis_pubsub_received_bytes_total');
    const { task } = await t.f.newTask(t.f.users.bob, { title: 'lag probe' });
    const row = { ...toDashboardTask(task), taskId: 'lag-probe', seq: 1, updatedAt: new Date(Date.now() - 40).toISOString() };
    emitter.to(rooms.org(t.f.users.bob.orgId)).emit('dashboard:task_list_updated', row);
    await control.waitFor((e) => e.event === 'dashboard:task_list_updated' && e.payload.taskId === 'lag-probe', 'the probe row');
    const after = await metricValue('taskflow_publish_lag_seconds_count');
    expect(after).toBe(before + 1);
    // The row's message (MessagePack, with its channel) was counted in the bytes the node got from Redis.
    expect(await metricValue('taskflow_redis_pubsub_received_bytes_total')).toBeGreaterThan(bytesBefore + Object.keys(row).join('').length);
    expect(await metricValue('taskflow_publish_lag_seconds_sum')).toBeGreaterThanOrEqual(0.04);
  });

  it('times webhook → screen from the task:shown reports of events the node delivered: once each, followers only', async () => {
    const { task } = await t.f.newTask(t.f.users.alice, { title: 'screen probe' });
    const alice = await connect('alice');
    const carol = await connect('carol');
    expect((await alice.request('task:join', { taskId: task.id })).ok).toBe(true);
    const before = await metricValue('taskflow_webhook_to_screen_seconds_count');
    const detail = { actorKind: 'github', webhookReceivedAt: new Date(Date.now() - 120).toISOString() };
    const payload = { taskId: task.id, seq: 7, status: 'pr_open', detail };
    emitter.to(rooms.task(task.id)).emit('task:event_added', {
      taskId: task.id,
      seq: 7,
      event: { seq: 7, eventType: 'pr_opened', payload, createdAt: new Date().toISOString() },
    });
    await alice.waitFor((e) => e.event === 'task:event_added' && e.payload.seq === 7, 'the webhook’s event');
    expect(await alice.request('task:shown', { taskId: task.id, seq: 7 })).toEqual({ ok: true, data: { counted: true } });
    // A repeat, or an event the node never delivered: answered, not counted.
    expect(await alice.request('task:shown', { taskId: task.id, seq: 7 })).toEqual({ ok: true, data: { counted: false } });
    expect(await alice.request('task:shown', { taskId: task.id, seq: 6 })).toEqual({ ok: true, data: { counted: false } });
    // Not following the task (another org's user): the same answer as for a task that does not exist.
    expect(await carol.request('task:shown', { taskId: task.id, seq: 7 })).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'Task not found' },
    });
    const invalid = await carol.request('task:shown', { taskId: task.id, seq: 0 });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await metricValue('taskflow_webhook_to_screen_seconds_count')).toBe(before + 1);
    expect(await metricValue('taskflow_webhook_to_screen_seconds_sum')).toBeGreaterThanOrEqual(0.12);
  });
});

/** One Prometheus sample of this node's /metrics, as a number. */
async function metricValue(name: string): Promise<number> {
  const text = await t.metricsText();
  const line = text.split('\n').find((l: string) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} not on /metrics`);
  return Number(line.split(' ')[1]);
}

describe('hardening', () => {
  it.each(['toString', '__proto__', 'constructor', 'hasOwnProperty', 'valueOf'])(
    'answers the prototype name %s with UNKNOWN_EVENT, not an internal error',
    async (event) => {
      const s = await connect('alice');
      const ack = await s.requestRaw(event, { taskId: 'x' });
      expect(ack).toEqual({ ok: false, error: { code: 'UNKNOWN_EVENT', message: `Unknown event "${event}"` } });
      expect(s.socket.connected).toBe(true);
      await controlStillReceives();
    },
  );

  it('joins the room of an upper-case task id under its canonical (lower-case) name', async () => {
    const { task } = await t.f.newTask(t.f.users.alice);
    const alice = await connect('alice');
    expect(await alice.request('task:join', { taskId: task.id.toUpperCase() })).toEqual({ ok: true, data: { seq: 1 } });
    const state = await alice.waitFor((e) => e.event === 'task:state', 'task:state');
    expect(state.payload.taskId).toBe(task.id);
    emitter.to(rooms.task(task.id)).emit('task:analyzing', { taskId: task.id, seq: 2, status: 'analyzing' });
    await alice.waitFor((e) => e.event === 'task:analyzing', 'live event in the canonical room');
    const presence = await alice.waitFor((e) => e.event === 'presence:updated', 'presence');
    expect(presence.payload.taskId).toBe(task.id);
    expect(await alice.request('task:leave', { taskId: task.id.toUpperCase() })).toEqual({ ok: true });
    expect(
      t.app.io
        .of('/')
        .adapter.rooms.get(rooms.task(task.id))
        ?.has(alice.socket.id as string) ?? false,
    ).toBe(false);
    const resync = await alice.request('resync_requested', { taskIds: [task.id.toUpperCase()], since: { [task.id.toUpperCase()]: 0 } });
    expect(resync.data?.results).toEqual([{ taskId: task.id, kind: 'events', events: [expect.objectContaining({ seq: 1 })] }]);
  });

  it('keeps a socket whose token outlives the 24.8-day timer limit connected', async () => {
    const long = await openSocket(url, { token: token(t.f.users.alice, { expiresIn: 29 * 86_400_000 }) });
    open.push(long);
    // No expiry error comes: a time in which an overflowed (immediate) timer would have fired.
    await new Promise((r) => setTimeout(r, 500));
    expect(long.of('error')).toEqual([]);
    expect(long.socket.connected).toBe(true);
  });

  it('charges a resync by its size: 100 tasks cost more than one message', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const s = await connect('alice');
    // The per-socket budget is 5 a second here: one 100-task resync costs 10 and is refused outright.
    const big = await s.request('resync_requested', { taskIds: ids });
    expect(big).toEqual({ ok: false, error: { code: 'RATE_LIMITED', message: 'Too many messages; slow down' } });
    // A fresh one-second window.
    await new Promise((r) => setTimeout(r, 1100));
    const small = await s.request('resync_requested', { taskIds: ids.slice(0, 30) });
    expect(small.ok).toBe(true);
    expect(small.data?.results).toHaveLength(30);
    // 30 tasks cost 3 of the 5: the next two messages exhaust the budget.
    const after = await Promise.all([s.request('dashboard:leave'), s.request('dashboard:leave'), s.request('dashboard:leave')]);
    expect(after.map((a) => a.ok)).toEqual([true, true, false]);
  });

  it('forgets sockets that disconnect while task:join is in flight (presence and rooms)', async () => {
    const { task } = await t.f.newTask(t.f.users.alice);
    const before = await metricValue('taskflow_presence_local_entries');
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const s = await connect('alice');
      ids.push(s.socket.id as string);
      s.socket.emit('task:join', { taskId: task.id });
      s.socket.disconnect();
    }
    // Time for the joins in flight to land (a wait for the count would pass before they had): none may stay.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await metricValue('taskflow_presence_local_entries')).toBe(before);
    const room = t.app.io.of('/').adapter.rooms.get(rooms.task(task.id));
    expect(ids.filter((id) => room?.has(id))).toEqual([]);
    expect(ids.filter((id) => t.app.io.of('/').adapter.sids.has(id))).toEqual([]);
  });
});
