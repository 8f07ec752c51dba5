import type { PublicTask, TaskCounts } from '@taskflow/events';
import { TaskflowClient, type TaskflowClientOptions } from './client';
import { MAX_FRESH, type DashboardFeedTrace } from './dashboard-feed';
import type { Socket as ServerSocket } from 'socket.io';
import { FakeGateway, fakeHttp, row, until } from './testing/fake-gateway';

/** DashboardFeed and its filtered variant against a real in-process Socket.IO server. */
let gateway: FakeGateway;
const open: Array<{ close(): void }> = [];
/** Counts with their total, as the feed shows them (and as the wire carries them since issue 19). */
const counts = (activeCount: number, completedCount = 0, failedCount = 0): TaskCounts & { total: number } => {
  const c = { activeCount, completedCount, failedCount, total: activeCount + completedCount + failedCount };
  return c;
};
const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const user = { id: 'u', username: 'u', name: 'U' };
/** A task as GET /api/tasks lists it (only what a row needs); the creator under both its names (issue 19's `createdBy`). */
const listed = (id: string, seq: number, status: string) => ({ id, seq, status, creator: user, createdBy: user }) as unknown as PublicTask;

beforeAll(async () => {
  gateway = await FakeGateway.start();
});
afterAll(async () => {
  await gateway.close();
});
beforeEach(() => {
  gateway.dashboardJoins = 0;
  gateway.dashboardJoinFailures = [];
  gateway.dashboardLeaves = 0;
  gateway.dashboardState = { tasks: [row(A, 2, 'analyzing')], counts: counts(3, 1), privateCounts: counts(1), nextCursor: 'c1' };
});
afterEach(() => {
  for (const o of open.splice(0).reverse()) o.close();
});

function connect(http = fakeHttp({}), options: Partial<TaskflowClientOptions> = {}): TaskflowClient {
  const client = new TaskflowClient({ url: gateway.url, http, socketOptions: { transports: ['websocket'], forceNew: true }, ...options });
  open.push(client);
  return client;
}

it('asks for batches, and applies a dashboard:batch frame item by item, in order', async () => {
  gateway.dashboardJoinMessages = [];
  const client = connect();
  const feed = client.dashboard();
  open.push(feed);
  await until(() => expect(feed.getSnapshot().loaded).toBe(true));
  expect(gateway.dashboardJoinMessages).toEqual([{ batch: true }]);
  gateway.batchToDashboard([
    { event: 'dashboard:task_list_updated', payload: { ...row(A, 3, 'dispatched'), counts: { ...counts(4, 1), scope: 'shared' } } },
    { event: 'dashboard:task_list_updated', payload: row(B, 1, 'received') },
    { event: 'dashboard:task_count_changed', payload: { ...counts(5, 1), scope: 'shared' } },
  ]);
  await until(() => expect(feed.getSnapshot().rows.get(B)).toMatchObject({ seq: 1, status: 'received' }));
  expect(feed.getSnapshot().rows.get(A)).toMatchObject({ seq: 3, status: 'dispatched' });
  // The count event came last in the frame: it is what the feed shows (shared 5 + 1 done, private 1).
  expect(feed.getSnapshot().counts).toEqual(counts(6, 1));
});

it('joins without batch when a node refuses the field (an older node during a rolling deploy)', async () => {
  gateway.dashboardJoinMessages = [];
  gateway.dashboardJoinFailures = ['INVALID_PAYLOAD'];
  const client = connect();
  const feed = client.dashboard();
  open.push(feed);
  await until(() => expect(feed.getSnapshot().loaded).toBe(true));
  expect(gateway.dashboardJoinMessages).toEqual([{ batch: true }, {}]);
  expect(feed.getSnapshot().live).toBe(true);
});

it('takes the state, then only newer rows, and adds the shared and private counts', async () => {
  const client = connect();
  const traces: DashboardFeedTrace[] = [];
  const feed = client.dashboard({ onTrace: (t) => traces.push(t) });
  open.push(feed);
  await until(() => expect(feed.getSnapshot().loaded).toBe(true));
  expect(feed.getSnapshot()).toMatchObject({
    counts: counts(3, 1),
    sharedCounts: counts(2, 1),
    privateCounts: counts(1),
    nextCursor: 'c1',
  });
  gateway.toDashboard('dashboard:task_list_updated', { ...row(A, 1, 'received') });
  gateway.toDashboard('dashboard:task_list_updated', { ...row(A, 3, 'dispatched'), counts: { ...counts(4, 1), scope: 'shared' } });
  gateway.toDashboard('dashboard:task_count_changed', { ...counts(2), scope: 'private' });
  await until(() => expect(feed.getSnapshot().counts).toEqual(counts(6, 1)));
  expect(feed.getSnapshot().rows.get(A)).toMatchObject({ seq: 3, status: 'dispatched' });
  expect([...feed.getSnapshot().fresh]).toEqual([A]);
  expect(traces).toEqual([
    { kind: 'snapshot', rows: 1 },
    { kind: 'duplicate', taskId: A, seq: 1 },
    { kind: 'applied', taskId: A, seq: 3 },
  ]);
});

it('joins again on sync:required and after a reconnect, once per client however many feeds', async () => {
  const client = connect();
  const traces: DashboardFeedTrace[] = [];
  const feed = client.dashboard({ onTrace: (t) => traces.push(t) });
  const filtered = client.dashboard({ filter: { status: ['analyzing'] } });
  open.push(feed, filtered);
  await until(() => expect(gateway.dashboardJoins).toBe(1));
  gateway.dashboardState = { ...gateway.dashboardState, tasks: [row(A, 2, 'analyzing'), row(B, 5, 'coding')] };
  gateway.emitAll('sync:required', { reason: 'subscription_interrupted' });
  await until(() => expect(feed.getSnapshot().rows.get(B)?.seq).toBe(5));
  expect(gateway.dashboardJoins).toBe(2);
  expect(traces.filter((t) => t.kind === 'sync_required')).toHaveLength(1);
  gateway.sockets.at(-1)!.disconnect(true);
  await until(() => expect(gateway.dashboardJoins).toBe(3));
  // The room is left only when the last feed closes.
  feed.close();
  await new Promise((r) => setTimeout(r, 100));
  expect(gateway.dashboardLeaves).toBe(0);
  filtered.close();
  await until(() => expect(gateway.dashboardLeaves).toBe(1));
});

it('loads more rows over REST', async () => {
  const page = {
    tasks: [listed(B, 1, 'received')],
    nextCursor: null,
    counts: counts(0),
  };
  const client = connect(fakeHttp({ '/api/tasks?limit=100&cursor=c1': page }));
  const feed = client.dashboard();
  open.push(feed);
  await until(() => expect(feed.getSnapshot().loaded).toBe(true));
  await feed.loadMore();
  expect([...feed.getSnapshot().rows.keys()].sort()).toEqual([A, B]);
  expect(feed.getSnapshot().nextCursor).toBeNull();
});

it('filtered: searches on the server, keeps matching live rows, drops rows that stop matching', async () => {
  const found = {
    tasks: [listed(A, 2, 'analyzing')],
    nextCursor: null,
    counts: counts(1),
  };
  const http = fakeHttp({ '/api/tasks?limit=100&status=analyzing': found });
  const client = connect(http);
  const feed = client.dashboard({ filter: { status: ['analyzing'] } });
  open.push(feed);
  await until(() => expect(feed.getSnapshot().counts).toEqual(counts(1)));
  await until(() => expect(gateway.dashboardJoins).toBe(1));
  gateway.toDashboard('dashboard:task_list_updated', row(B, 1, 'analyzing'));
  await until(() => expect(feed.getSnapshot().rows.has(B)).toBe(true));
  gateway.toDashboard('dashboard:task_list_updated', row(A, 3, 'coding'));
  await until(() => expect(feed.getSnapshot().rows.has(A)).toBe(false));
});

it('polls the REST API when realtime is off', async () => {
  const http = fakeHttp({ '/api/tasks?limit=100': { tasks: [], nextCursor: null, counts: counts(7) } });
  const client = new TaskflowClient({ realtime: false, http });
  const feed = client.dashboard();
  open.push(client, feed);
  await until(() => expect(feed.getSnapshot().counts).toEqual(counts(7)));
});

it('gives a feed opened while the room is already held a state of its own', async () => {
  const client = connect(fakeHttp({ '/api/tasks?': { tasks: [], nextCursor: null, counts: counts(0) } }));
  await until(() => expect(client.connected).toBe(true));
  const filtered = client.dashboard({ filter: { repo: 'a' } });
  open.push(filtered);
  await until(() => expect(gateway.dashboardJoins).toBe(1));
  const feed = client.dashboard();
  open.push(feed);
  await until(() => expect(feed.getSnapshot()).toMatchObject({ loaded: true, live: true, counts: counts(3, 1), nextCursor: 'c1' }));
  expect([...feed.getSnapshot().rows.keys()]).toEqual([A]);
  expect(gateway.dashboardJoins).toBe(2);
});

it('after a join failed for good: says it is not live, polls the REST API and joins again later', async () => {
  gateway.dashboardJoinFailures = ['FEATURE_DISABLED'];
  let active = 4;
  const http = fakeHttp({
    '/api/tasks?limit=100': () => ({ tasks: [listed(B, 1, 'received')], nextCursor: null, counts: counts(active) }),
  });
  const client = connect(http, { pollMs: 100, rejoinBackoffMs: 1500 });
  const feed = client.dashboard();
  open.push(feed);
  await until(() =>
    expect(feed.getSnapshot()).toMatchObject({ loaded: true, live: false, counts: counts(4), error: { code: 'FEATURE_DISABLED' } }),
  );
  active = 5;
  await until(() => expect(feed.getSnapshot().counts).toEqual(counts(5)));
  expect(feed.getSnapshot()).toMatchObject({ live: false, error: { code: 'FEATURE_DISABLED' } });
  await until(() => expect(feed.getSnapshot()).toMatchObject({ live: true, counts: counts(3, 1) }), 10_000);
  expect(feed.getSnapshot().error).toBeUndefined();
  expect(gateway.dashboardJoins).toBe(2);
  const asked = http.asked.length;
  await new Promise((r) => setTimeout(r, 400));
  expect(http.asked.length).toBe(asked);
});

it('does not count a private change twice after a REST read (whose total includes the private tasks)', async () => {
  gateway.dashboardJoinFailures = ['FEATURE_DISABLED'];
  // GET /api/tasks counts all the viewer sees: 3 shared + 1 private, without saying which.
  const client = connect(fakeHttp({ '/api/tasks?limit=100': { tasks: [], nextCursor: null, counts: counts(4) } }));
  const feed = client.dashboard();
  open.push(feed);
  await until(() => expect(feed.getSnapshot().counts).toEqual(counts(4)));
  gateway.emitAll('dashboard:task_count_changed' as never, { ...counts(2), scope: 'private' } as never);
  gateway.emitAll('dashboard:task_list_updated' as never, { ...row(B, 1), counts: { ...counts(2), scope: 'private' } } as never);
  await until(() => expect(feed.getSnapshot().rows.has(B)).toBe(true));
  expect(feed.getSnapshot().counts).toEqual(counts(4));
  // The next state splits the counts again; scoped updates apply from then on.
  gateway.emitAll('sync:required', { reason: 'subscription_interrupted' });
  await until(() => expect(feed.getSnapshot()).toMatchObject({ live: true, counts: counts(3, 1), privateCounts: counts(1) }));
  gateway.toDashboard('dashboard:task_count_changed', { ...counts(2), scope: 'private' });
  await until(() => expect(feed.getSnapshot().counts).toEqual(counts(4, 1)));
});

it("filtered: a reload during setFilter's first page still replaces the old filter's rows and cursor", async () => {
  const page = (id: string, repo: string, nextCursor: string | null) => ({
    tasks: [{ ...listed(id, 1, 'received'), repo }],
    nextCursor,
    counts: counts(1),
  });
  let releaseB!: () => void;
  const slowB = new Promise<void>((r) => (releaseB = r));
  const http = fakeHttp({
    '/api/tasks?limit=100&repo=a': page(A, 'a', 'cursor-of-a'),
    '/api/tasks?limit=100&repo=b': async () => {
      await slowB;
      return page(B, 'b', null);
    },
  });
  const client = connect(http);
  const feed = client.dashboard({ filter: { repo: 'a' } });
  open.push(feed);
  await until(() => expect([...feed.getSnapshot().rows.keys()]).toEqual([A]));
  await until(() => expect(gateway.dashboardJoins).toBe(1));
  feed.setFilter({ repo: 'b' });
  // A reload for another reason while the new filter's first page is on its way (sync:required, a reconnect, the timer).
  gateway.emitAll('sync:required', { reason: 'subscription_interrupted' });
  await until(() => expect(http.asked.filter((p) => p.includes('repo=b'))).toHaveLength(2));
  releaseB();
  await until(() => expect([...feed.getSnapshot().rows.keys()]).toEqual([B]));
  expect(feed.getSnapshot().nextCursor).toBeNull();
});

it('keeps only the last MAX_FRESH live changes in fresh', async () => {
  const client = connect();
  const feed = client.dashboard();
  open.push(feed);
  await until(() => expect(feed.getSnapshot().live).toBe(true));
  const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const n = MAX_FRESH + 20;
  for (let i = 1; i <= n; i++) gateway.toDashboard('dashboard:task_list_updated', row(id(i), 1));
  await until(() => expect(feed.getSnapshot().rows.has(id(n))).toBe(true));
  const fresh = feed.getSnapshot().fresh;
  expect(fresh.size).toBe(MAX_FRESH);
  expect(fresh.has(id(n))).toBe(true);
  expect(fresh.has(id(20))).toBe(false);
  expect(fresh.has(id(21))).toBe(true);
});

it('leaves the room after the join it overtook when the last feed closes while the join is on the wire', async () => {
  // The server handles a socket's messages concurrently: here every dashboard:join waits, a leave does not.
  const answered: Array<() => void> = [];
  const slowJoins = (socket: ServerSocket) =>
    socket.use(([event], next) => (event === 'dashboard:join' ? answered.push(() => next()) : next()));
  gateway.server.on('connection', slowJoins);
  try {
    const client = connect();
    const feed = client.dashboard();
    await until(() => expect(answered).toHaveLength(1));
    const socket = gateway.sockets.at(-1)!;
    // The task page replaces the dashboard while its join is still on the wire.
    feed.close();
    // Frames arrive in order: once this is answered, a leave sent on close has been handled too.
    await client.request('task:leave', { taskId: A });
    const joins = gateway.dashboardJoins;
    answered.shift()!();
    await until(() => expect(gateway.dashboardJoins).toBe(joins + 1));
    await until(() => expect(gateway.dashboardLeaves).toBe(1));
    expect(socket.rooms.has('org')).toBe(false);
    // Back on the dashboard: joined again, and in the room.
    const again = client.dashboard();
    open.push(again);
    await until(() => expect(answered).toHaveLength(1));
    answered.shift()!();
    await until(() => expect(again.getSnapshot().live).toBe(true));
    expect(socket.rooms.has('org')).toBe(true);
  } finally {
    gateway.server.off('connection', slowJoins);
  }
});
