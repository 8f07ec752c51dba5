import { TaskflowClient, type TaskflowClientOptions } from './client';
import type { TaskFeed, TaskFeedTrace } from './task-feed';
import type { TimelineEvent } from '@taskflow/events';
import { ev, FakeGateway, fakeHttp, task, TASK_ID, until } from './testing/fake-gateway';

/** TaskFeed against a real in-process Socket.IO server that plays the gateway's part. */
let gateway: FakeGateway;
const open: Array<{ close(): void }> = [];

beforeAll(async () => {
  gateway = await FakeGateway.start();
});
afterAll(async () => {
  await gateway.close();
});
beforeEach(() => {
  Object.assign(gateway, {
    joins: 0,
    joinsAnswered: 0,
    joinDelayMs: 0,
    joinFailures: [],
    beforeSnapshot: [],
    resyncs: [],
    resyncFailures: [],
    committed: [],
    taskLeaves: 0,
    shown: [],
  });
  gateway.snapshot = { seq: 1, status: 'received', events: [ev(1, 'received')] };
});
afterEach(() => {
  for (const o of open.splice(0).reverse()) o.close();
});

function follow(
  http = fakeHttp({}),
  options: Partial<TaskflowClientOptions> = {},
): { client: TaskflowClient; feed: TaskFeed; traces: TaskFeedTrace[] } {
  const client = new TaskflowClient({ url: gateway.url, http, socketOptions: { transports: ['websocket'], forceNew: true }, ...options });
  const traces: TaskFeedTrace[] = [];
  const feed = client.task(TASK_ID, { onTrace: (t) => traces.push(t) });
  open.push(client, feed);
  return { client, feed, traces };
}
const seqs = (feed: TaskFeed) => feed.getSnapshot().view?.events.map((e) => e.seq);

it('applies seq = last + 1, drops duplicates and resyncs a gap once', async () => {
  gateway.committed = [ev(3, 'dispatched'), ev(4, 'coding')];
  const { feed, traces } = follow();
  await until(() => expect(feed.getSnapshot().view?.last).toBe(1));
  gateway.added(2, 'analyzing');
  await until(() => expect(feed.getSnapshot().view?.task.status).toBe('analyzing'));
  gateway.added(2, 'analyzing');
  gateway.added(4, 'coding');
  await until(() => expect(feed.getSnapshot().view?.last).toBe(4));
  expect(seqs(feed)).toEqual([1, 2, 3, 4]);
  expect(feed.getSnapshot().view?.task.status).toBe('coding');
  expect(gateway.resyncs).toEqual([{ taskIds: [TASK_ID], since: { [TASK_ID]: 2 }, reply: 'ack' }]);
  expect(traces.filter((t) => t.kind !== 'live')).toEqual([
    { kind: 'snapshot', seq: 1, applied: [1] },
    { kind: 'applied', seq: 2 },
    { kind: 'duplicate', seq: 2 },
    { kind: 'gap', seq: 4, last: 2 },
    { kind: 'resync', since: 2 },
    { kind: 'applied', seq: 3 },
    { kind: 'applied', seq: 4 },
  ]);
});

it('gives each change a new, frozen snapshot object (useSyncExternalStore)', async () => {
  const { feed } = follow();
  const seen: unknown[] = [];
  feed.subscribe(() => seen.push(feed.getSnapshot()));
  await until(() => expect(feed.getSnapshot().view?.last).toBe(1));
  const before = feed.getSnapshot();
  expect(feed.getSnapshot()).toBe(before);
  expect(Object.isFrozen(before)).toBe(true);
  gateway.added(2, 'analyzing');
  await until(() => expect(feed.getSnapshot()).not.toBe(before));
  expect(new Set(seen).size).toBe(seen.length);
});

it('holds live events that arrive before the snapshot and applies them after it', async () => {
  gateway.beforeSnapshot = [ev(3, 'dispatched'), ev(2, 'analyzing')];
  const { feed, traces } = follow();
  await until(() => expect(feed.getSnapshot().view?.last).toBe(3));
  expect(seqs(feed)).toEqual([1, 2, 3]);
  expect(gateway.resyncs).toEqual([]);
  expect(traces.map((t) => t.kind)).toEqual(['live', 'live', 'snapshot', 'applied', 'applied']);
});

it('says notFound when the join is refused NOT_FOUND or FORBIDDEN, without retrying', async () => {
  for (const code of ['NOT_FOUND', 'FORBIDDEN']) {
    gateway.joins = 0;
    gateway.joinFailures = [code];
    const { feed } = follow();
    await until(() => expect(feed.getSnapshot().notFound).toBe(true));
    expect(feed.getSnapshot().error?.code).toBe(code);
    // Longer than the first two backoff delays: a retry would have arrived.
    await new Promise((r) => setTimeout(r, 1600));
    expect(gateway.joins).toBe(1);
  }
});

it('joins again with backoff after RATE_LIMITED and UNAVAILABLE, and is never "not found" meanwhile', async () => {
  gateway.joinFailures = ['UNAVAILABLE', 'RATE_LIMITED'];
  const { feed, traces } = follow();
  const notFound: boolean[] = [];
  feed.subscribe(() => notFound.push(feed.getSnapshot().notFound));
  await until(() => expect(feed.getSnapshot().view?.last).toBe(1));
  expect(gateway.joins).toBe(3);
  expect(notFound).not.toContain(true);
  expect(traces.filter((t) => t.kind === 'retry')).toEqual([
    { kind: 'retry', message: 'task:join', attempt: 1, code: 'UNAVAILABLE' },
    { kind: 'retry', message: 'task:join', attempt: 2, code: 'RATE_LIMITED' },
  ]);
});

it('does not hold live events forever after a join that failed for good', async () => {
  // Refused, then found over REST (say the viewer was let in meanwhile): live events must apply, not wait for a snapshot.
  gateway.joinFailures = ['NOT_FOUND'];
  const http = fakeHttp({
    [`/api/tasks/${TASK_ID}`]: { ...task(1, 'received'), events: [ev(1, 'received')], hasOlder: false, olderCursor: null },
  });
  const { feed } = follow(http);
  await until(() => expect(feed.getSnapshot().notFound).toBe(true));
  await feed.refresh();
  expect(feed.getSnapshot()).toMatchObject({ notFound: false, view: { last: 1 } });
  gateway.server.in(gateway.sockets.at(-1)!.id).socketsJoin(`task:${TASK_ID}`);
  gateway.added(2, 'analyzing');
  await until(() => expect(feed.getSnapshot().view?.last).toBe(2));
});

it('reads the task over REST when the join fails with INTERNAL a few times', async () => {
  gateway.joinFailures = Array(5).fill('INTERNAL');
  const http = fakeHttp({ [`/api/tasks/${TASK_ID}`]: { ...task(7, 'coding'), events: [ev(7, 'coding')], hasOlder: true, olderCursor: 7 } });
  const { feed } = follow(http);
  await until(() => expect(feed.getSnapshot().view?.last).toBe(7), 20_000);
  expect(gateway.joins).toBe(5);
  expect(feed.getSnapshot().view).toMatchObject({ olderCursor: 7, task: { status: 'coding' } });
});

it('catches up since its last seq when the server says sync:required', async () => {
  const { feed, traces } = follow();
  await until(() => expect(feed.getSnapshot().view?.last).toBe(1));
  // Committed while the node's subscription was down: the broadcasts never came.
  gateway.committed = [ev(2, 'analyzing'), ev(3, 'dispatched')];
  gateway.emitAll('sync:required', { reason: 'subscription_interrupted' });
  await until(() => expect(feed.getSnapshot().view?.last).toBe(3));
  expect(gateway.resyncs).toEqual([{ taskIds: [TASK_ID], since: { [TASK_ID]: 1 }, reply: 'ack' }]);
  expect(traces.filter((t) => t.kind === 'sync_required')).toHaveLength(1);
  expect(feed.getSnapshot().view?.task.status).toBe('dispatched');
});

it('sends one resync at a time, again while the server is busy, and once more for a gap seen meanwhile', async () => {
  gateway.committed = [ev(2, 'analyzing'), ev(3, 'dispatched'), ev(4, 'coding')];
  gateway.resyncFailures = ['UNAVAILABLE'];
  const { feed } = follow();
  await until(() => expect(feed.getSnapshot().view?.last).toBe(1));
  gateway.added(3, 'dispatched');
  gateway.added(4, 'coding');
  await until(() => expect(feed.getSnapshot().view?.last).toBe(4));
  expect(seqs(feed)).toEqual([1, 2, 3, 4]);
  await until(() => expect(gateway.resyncs).toHaveLength(3));
  expect(gateway.resyncs).toEqual([1, 1, 4].map((since) => ({ taskIds: [TASK_ID], since: { [TASK_ID]: since }, reply: 'ack' })));
});

it('connects again after `io server disconnect` and re-joins: the new snapshot catches up', async () => {
  const { client, feed } = follow();
  await until(() => expect(feed.getSnapshot().view?.last).toBe(1));
  const statuses: string[] = [];
  client.subscribe(() => statuses.push(client.getSnapshot().status));
  gateway.snapshot = { seq: 2, status: 'analyzing', events: [ev(1, 'received'), ev(2, 'analyzing')] };
  gateway.sockets.at(-1)!.disconnect(true);
  await until(() => expect(feed.getSnapshot().view?.last).toBe(2));
  expect(gateway.joins).toBe(2);
  expect(statuses).toEqual(['reconnecting', 'connected']);
});

it('pages older events in over REST and leaves the room on close', async () => {
  gateway.snapshot = { seq: 3, status: 'dispatched', events: [ev(3, 'dispatched')] };
  const http = fakeHttp({
    [`/api/tasks/${TASK_ID}/events?before=3`]: { events: [ev(1, 'received'), ev(2, 'analyzing')], hasOlder: false, olderCursor: null },
  });
  const { feed } = follow(http);
  await until(() => expect(feed.getSnapshot().view?.last).toBe(3));
  // A snapshot that says there is more before it.
  gateway.sockets.at(-1)!.emit('task:state', {
    taskId: TASK_ID,
    seq: 3,
    task: task(3, 'dispatched'),
    events: [ev(3, 'dispatched')],
    hasOlder: true,
    olderCursor: 3,
  });
  await until(() => expect(feed.getSnapshot().view?.olderCursor).toBe(3));
  await feed.loadOlder();
  expect(seqs(feed)).toEqual([1, 2, 3]);
  feed.close();
  await until(() => expect(gateway.taskLeaves).toBe(1));
});

it('shows who else is viewing', async () => {
  const { feed } = follow();
  await until(() => expect(feed.getSnapshot().view?.last).toBe(1));
  gateway.toTask('presence:updated', { taskId: TASK_ID, viewers: [{ userId: 'u2', name: 'Bob' }] });
  await until(() => expect(feed.getSnapshot().viewers).toEqual([{ userId: 'u2', name: 'Bob' }]));
});

it('polls the REST API when realtime is off', async () => {
  const http = fakeHttp({ [`/api/tasks/${TASK_ID}`]: { ...task(2, 'analyzing'), events: [ev(1, 'received'), ev(2, 'analyzing')] } });
  const client = new TaskflowClient({ realtime: false, http });
  const feed = client.task(TASK_ID);
  open.push(client, feed);
  expect(client.getSnapshot().status).toBe('polling');
  await until(() => expect(feed.getSnapshot().view?.last).toBe(2));
  expect(gateway.joins).toBe(0);
});

it('catches up after the snapshot when sync:required came while the join waited for it', async () => {
  // The snapshot was read at seq 1 while this node's subscription was down (seq 2 was published then, and lost);
  // the subscription came back before the snapshot was sent.
  const early = (socket: import('socket.io').Socket) => {
    socket.prependListener('task:join', () => void socket.emit('sync:required', { reason: 'subscription_interrupted' }));
  };
  gateway.server.on('connection', early);
  gateway.committed = [ev(2, 'completed')];
  try {
    const { feed, traces } = follow();
    await until(() => expect(feed.getSnapshot().view?.last).toBe(2));
    expect(gateway.resyncs).toEqual([{ taskIds: [TASK_ID], since: { [TASK_ID]: 1 }, reply: 'ack' }]);
    expect(traces.filter((t) => t.kind !== 'live')).toEqual([
      { kind: 'sync_required' },
      { kind: 'snapshot', seq: 1, applied: [1] },
      { kind: 'resync', since: 1 },
      { kind: 'applied', seq: 2 },
    ]);
  } finally {
    gateway.server.off('connection', early);
  }
});

it('after a join failed for good: says it is not live, polls the REST API and joins again later', async () => {
  gateway.joinFailures = Array(5).fill('INTERNAL');
  let seq = 1;
  const http = fakeHttp({
    [`/api/tasks/${TASK_ID}`]: () => ({ ...task(seq, 'received'), events: [ev(1, 'received')], hasOlder: false, olderCursor: null }),
  });
  const { feed } = follow(http, { pollMs: 100, rejoinBackoffMs: 1500 });
  await until(() => expect(feed.getSnapshot().view?.last).toBe(1), 20_000);
  expect(feed.getSnapshot()).toMatchObject({ live: false, error: { code: 'INTERNAL' } });
  // A change the feed cannot hear (it is in no room): the poll brings it.
  seq = 2;
  await until(() => expect(feed.getSnapshot().view?.task.seq).toBe(2));
  expect(feed.getSnapshot()).toMatchObject({ live: false, error: { code: 'INTERNAL' } });
  // The join is tried again (the server is fine by then): live, and the poll stops.
  await until(() => expect(feed.getSnapshot().live).toBe(true), 10_000);
  expect(gateway.joins).toBe(6);
  expect(feed.getSnapshot().error).toBeUndefined();
  const asked = http.asked.length;
  await new Promise((r) => setTimeout(r, 400));
  expect(http.asked.length).toBe(asked);
}, 30_000);

it('reads nothing over REST once the client is closed, though a join retry was due', async () => {
  const http = fakeHttp({ [`/api/tasks/${TASK_ID}`]: { ...task(1, 'received'), events: [], hasOlder: false, olderCursor: null } });
  gateway.joinFailures = ['UNAVAILABLE'];
  const { client, traces } = follow(http);
  await until(() => expect(traces).toContainEqual({ kind: 'retry', message: 'task:join', attempt: 1, code: 'UNAVAILABLE' }));
  // The client closed before its feed (a provider's cleanup order): the retry due must neither send nor fall back.
  client.close();
  await new Promise((r) => setTimeout(r, 1000));
  expect(http.asked).toEqual([]);
  expect(gateway.joins).toBe(1);
});

it('leaves the room after the join it overtook when closed while the join is on the wire', async () => {
  gateway.joinDelayMs = 300;
  const { feed } = follow();
  await until(() => expect(gateway.joins).toBe(1));
  feed.close();
  await until(() => expect(gateway.taskLeaves).toBe(1));
  expect(gateway.joinsAnswered).toBe(1);
  expect(gateway.sockets.at(-1)!.rooms.has(`task:${TASK_ID}`)).toBe(false);
});

it('stays in the room when a page is mounted anew while its first join is on the wire (close, then open again)', async () => {
  gateway.joinDelayMs = 300;
  const { client, feed } = follow();
  await until(() => expect(gateway.joins).toBe(1));
  // React unmounts and mounts the task page again: the first feed closes before its join is answered.
  feed.close();
  const again = client.task(TASK_ID);
  open.push(again);
  await until(() => expect(again.getSnapshot().live).toBe(true));
  await until(() => expect(gateway.joinsAnswered).toBe(2));
  // The first feed's leave would have followed its join's answer, after the second join: it must not be sent.
  await new Promise((r) => setTimeout(r, 400));
  expect(gateway.taskLeaves).toBe(0);
  expect(gateway.sockets.at(-1)!.rooms.has(`task:${TASK_ID}`)).toBe(true);
});

it('writes nothing once closed: an older page answered after close leaves the view alone', async () => {
  let answer!: (page: unknown) => void;
  const http = fakeHttp({ [`/api/tasks/${TASK_ID}/events?before=3`]: () => new Promise((r) => (answer = r)) });
  gateway.snapshot = { seq: 3, status: 'dispatched', events: [ev(3, 'dispatched')] };
  const { feed } = follow(http);
  await until(() => expect(feed.getSnapshot().view?.last).toBe(3));
  gateway.sockets.at(-1)!.emit('task:state', {
    taskId: TASK_ID,
    seq: 3,
    task: task(3, 'dispatched'),
    events: [ev(3, 'dispatched')],
    hasOlder: true,
    olderCursor: 3,
  });
  await until(() => expect(feed.getSnapshot().view?.olderCursor).toBe(3));
  const loading = feed.loadOlder();
  await until(() => expect(answer).toBeDefined());
  feed.close();
  const before = feed.getSnapshot();
  answer({ events: [ev(1, 'received'), ev(2, 'analyzing')], hasOlder: false, olderCursor: null });
  await loading;
  expect(feed.getSnapshot()).toBe(before);
});

it('reports on screen (task:shown) the live events a GitHub webhook caused, once each, after the page says it painted them', async () => {
  const fromWebhook = (seq: number): TimelineEvent => ({
    ...ev(seq, 'pr_open'),
    payload: { taskId: TASK_ID, seq, status: 'pr_open', detail: { actorKind: 'github', webhookReceivedAt: new Date().toISOString() } },
  });
  // In the snapshot: not a live one, never reported.
  gateway.snapshot = { seq: 2, status: 'coding', events: [ev(1, 'received'), fromWebhook(2)] };
  const { feed } = follow();
  await until(() => expect(feed.getSnapshot().view?.last).toBe(2));
  gateway.toTask('task:event_added', { taskId: TASK_ID, seq: 3, event: ev(3, 'coding') });
  gateway.toTask('task:event_added', { taskId: TASK_ID, seq: 4, event: fromWebhook(4) });
  gateway.toTask('task:event_added', { taskId: TASK_ID, seq: 4, event: fromWebhook(4) });
  await until(() => expect(feed.getSnapshot().view?.last).toBe(4));
  // Nothing is sent until the page says it painted the view.
  await new Promise((r) => setTimeout(r, 100));
  expect(gateway.shown).toEqual([]);
  feed.reportShown();
  feed.reportShown();
  await until(() => expect(gateway.shown).toEqual([{ taskId: TASK_ID, seq: 4 }]));
  // Not painted (a hidden tab): forgotten, never reported later.
  gateway.toTask('task:event_added', { taskId: TASK_ID, seq: 5, event: fromWebhook(5) });
  await until(() => expect(feed.getSnapshot().view?.last).toBe(5));
  feed.reportShown(false);
  feed.reportShown();
  await new Promise((r) => setTimeout(r, 100));
  expect(gateway.shown).toHaveLength(1);
});
