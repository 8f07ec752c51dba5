import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import { MAX_RESYNC_TASKS, rooms, SERVER_EVENTS, SOCKET_IO_REDIS_KEY, validate, type ServerToClientEvents } from '@taskflow/events';
import { transition } from '@taskflow/store';
import { login, openSocket, testEnv, type AckAnswer, type TestSocket } from '@taskflow/testing';
import { closeRedisClient } from '@taskflow/queue';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { listenOnLoopback, startTestApp, type TestApp } from '../../testing/test-app';

/**
 * `resync_requested` as the original specification's clients send it (no payload: every joined task) and as ours
 * do (`reply: 'ack'`: the answer in the ack only), and every way it is refused without doing anything.
 */
jest.setTimeout(60_000);

let t: TestApp;
let url: string;
let redis: Redis;
let emitter: Emitter<ServerToClientEvents>;
const open: TestSocket[] = [];

beforeAll(async () => {
  // Room for the 101 joins of the bound's test within a second or two.
  t = await startTestApp({ WEBSOCKET_RATE_PER_SOCKET: '500', WEBSOCKET_RATE_PER_USER: '500' });
  url = await listenOnLoopback(t.app);
  redis = new Redis(testEnv('TEST_REDIS_URL'));
  emitter = new Emitter<ServerToClientEvents>(redis, { key: SOCKET_IO_REDIS_KEY });
});
afterAll(async () => {
  for (const s of open) s.close();
  await closeRedisClient(redis);
  await t.close();
});

async function connect(user: 'alice' | 'bob' = 'alice'): Promise<TestSocket> {
  const s = await openSocket(url, { token: await login(url, user, FIXTURE_PASSWORD) });
  open.push(s);
  return s;
}

/** Sends a frame with exactly these arguments before the ack (none: the specification's bare `resync_requested`). */
function send(s: TestSocket, ...args: unknown[]): Promise<AckAnswer<{ results: Array<{ taskId: string; kind: string }> }>> {
  return s.socket.timeout(5000).emitWithAck('resync_requested', ...args);
}

/** Two tasks Alice joined (one moved on to `analyzing`), the `task:state` count after the joins' snapshots. */
async function joinedTwo(s: TestSocket) {
  const { task: a } = await t.f.newTask(t.f.users.alice, { title: 'first' });
  const { task: b } = await t.f.newTask(t.f.users.alice, { title: 'second' });
  await transition(t.f.db, { taskId: b.id, from: 'received', to: 'analyzing', event: 'analyzing' });
  for (const task of [a, b]) expect((await s.request('task:join', { taskId: task.id })).ok).toBe(true);
  await s.waitFor(() => s.of('task:state').length === 2, 'both snapshots');
  return { a, b };
}

describe('resync_requested without task ids', () => {
  it.each([
    ['no payload at all', []],
    ['an empty object', [{}]],
  ])('with %s resyncs every joined task: snapshots in the ack AND as task:state events (fields at the top level)', async (_what, args) => {
    const s = await connect();
    const { a, b } = await joinedTwo(s);
    const ack = await send(s, ...args);
    expect(ack.ok).toBe(true);
    expect(ack.data?.results.map((r) => [r.taskId, r.kind])).toEqual([
      [a.id, 'state'],
      [b.id, 'state'],
    ]);
    // The events were emitted before the ack (one socket, in order): they are here now.
    const states = s.of('task:state').slice(2);
    expect(states.map((e) => [e.payload.taskId, e.payload.status, e.payload.title])).toEqual([
      [a.id, 'received', 'first'],
      [b.id, 'analyzing', 'second'],
    ]);
    for (const e of states) expect(validate(SERVER_EVENTS['task:state'], e.payload).ok).toBe(true);
    // A resync is not live: no task:event_added repeats what the room already sent.
    expect(s.of('task:event_added')).toEqual([]);
  });

  it('answers nothing when the socket joined no task', async () => {
    const s = await connect();
    expect(await send(s)).toEqual({ ok: true, data: { results: [] } });
    expect(s.of('task:state')).toEqual([]);
  });

  it(`refuses a socket in more than ${MAX_RESYNC_TASKS} task rooms with INVALID_PAYLOAD, and reads nothing`, async () => {
    const s = await connect();
    const tasks = [];
    for (let i = 0; i <= MAX_RESYNC_TASKS; i++) tasks.push((await t.f.newTask(t.f.users.alice)).task);
    const joins = await Promise.all(tasks.map((task) => s.request('task:join', { taskId: task.id }, 20_000)));
    expect(joins.filter((j) => !j.ok)).toEqual([]);
    await s.waitFor(() => s.of('task:state').length === tasks.length, 'every snapshot', 20_000);
    const ack = await send(s);
    expect(ack).toEqual({
      ok: false,
      error: {
        code: 'INVALID_PAYLOAD',
        message: `Invalid resync_requested: this socket is in ${MAX_RESYNC_TASKS + 1} task rooms, more than ${MAX_RESYNC_TASKS}; name them in taskIds`,
      },
    });
    expect(s.of('task:state')).toHaveLength(tasks.length);
    // Naming them still works.
    expect((await s.request('resync_requested', { taskIds: [tasks[0]!.id], reply: 'ack' })).ok).toBe(true);
  });
});

describe("resync_requested's reply", () => {
  it("`reply: 'ack'` answers in the ack only: no task:state event", async () => {
    const s = await connect();
    const { a } = await joinedTwo(s);
    const ack = await s.request('resync_requested', { taskIds: [a.id], reply: 'ack' });
    expect(ack.data?.results).toEqual([
      { taskId: a.id, kind: 'state', state: expect.objectContaining({ taskId: a.id, status: 'received' }) },
    ]);
    expect(s.of('task:state')).toHaveLength(2);
  });

  it("`reply: 'emit'` (the default) with `since` answers the missed events in the ack and emits no snapshot", async () => {
    const s = await connect();
    const { b } = await joinedTwo(s);
    const ack = await s.request('resync_requested', { taskIds: [b.id], since: { [b.id]: 1 }, reply: 'emit' });
    expect(ack.data?.results).toEqual([
      { taskId: b.id, kind: 'events', events: [expect.objectContaining({ seq: 2, eventType: 'analyzing' })] },
    ]);
    expect(s.of('task:state')).toHaveLength(2);
    expect(s.of('task:event_added')).toEqual([]);
  });

  it.each([
    ['an unknown reply', { reply: 'both' }, /\/reply/],
    ['a reply that is not a string', { reply: 1 }, /\/reply/],
    ['an empty task list', { taskIds: [] }, /\/taskIds/],
    ['task ids that are not a list', { taskIds: 'nope' }, /\/taskIds/],
    ['an extra field', { everything: true }, /everything/],
    ['a string payload', 'all', /Invalid resync_requested/],
  ])('refuses %s with INVALID_PAYLOAD and emits nothing', async (_what, payload, detail) => {
    const s = await connect();
    await joinedTwo(s);
    const ack = await send(s, payload);
    expect(ack).toEqual({ ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.stringMatching(/^Invalid resync_requested: /) } });
    expect(ack.error?.message).toMatch(detail);
    expect(s.of('error').map((e) => e.payload.code)).toEqual(['INVALID_PAYLOAD']);
    expect(s.of('task:state')).toHaveLength(2);
  });
});

describe('resync_requested naming tasks the socket has not joined', () => {
  /** Whether a broadcast to the task's room reaches the socket: a marker event, waited for with a deadline. */
  async function receivesRoom(s: TestSocket, taskId: string, seq: number): Promise<boolean> {
    emitter.to(rooms.task(taskId)).emit('task:analyzing', { taskId, seq, status: 'analyzing' });
    // A control broadcast to the user's own room, sent after it: once that arrived, the room's would have too.
    emitter.to(rooms.user(t.f.users.alice.id)).emit('task:analyzing', { taskId, seq: seq + 1000, status: 'analyzing' });
    await s.waitFor((e) => e.event === 'task:analyzing' && e.payload.seq === seq + 1000, 'the control broadcast');
    return s.of('task:analyzing').some((e) => e.payload.taskId === taskId && e.payload.seq === seq);
  }

  it('joins the rooms of the tasks it may see by default (a spec client resyncs after a reconnect), not with reply ack', async () => {
    const { task: mine } = await t.f.newTask(t.f.users.alice);
    const { task: other } = await t.f.newTask(t.f.users.alice);
    const { task: hidden } = await t.f.newTask(t.f.users.bob, { isPrivate: true });
    const s = await connect();
    const ack = await s.request('resync_requested', { taskIds: [mine.id, hidden.id] });
    expect(ack.data?.results.map((r) => r.kind)).toEqual(['state', 'not_found']);
    expect(s.of('task:state').map((e) => e.payload.taskId)).toEqual([mine.id]);
    expect(await receivesRoom(s, mine.id, 2)).toBe(true);
    expect(await receivesRoom(s, hidden.id, 3)).toBe(false);
    // Ours apply the ack and stay out of rooms they did not join.
    expect((await s.request('resync_requested', { taskIds: [other.id], reply: 'ack' })).ok).toBe(true);
    expect(await receivesRoom(s, other.id, 4)).toBe(false);
  });
});
