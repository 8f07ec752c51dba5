import { RoomBatcher, type BatchItem } from './room-batcher';

const row = (taskId: string, seq: number, total = seq): BatchItem =>
  ({
    event: 'dashboard:task_list_updated',
    payload: { taskId, seq, counts: { scope: 'shared', total } },
  }) as unknown as BatchItem;
const counts = (scope: 'shared' | 'private', total: number): BatchItem =>
  ({ event: 'dashboard:task_count_changed', payload: { scope, total } }) as unknown as BatchItem;
const created = (taskId: string): BatchItem => ({ event: 'task:created', payload: { taskId, seq: 1 } }) as unknown as BatchItem;

/** What each written batch held: event and (taskId@seq | scope=total). */
const label = (i: BatchItem) => {
  const p = i.payload as { taskId?: string; seq?: number; scope?: string; total?: number };
  return i.event === 'dashboard:task_count_changed' ? `counts ${p.scope}=${p.total}` : `${i.event} ${p.taskId}@${p.seq}`;
};

let now = 0;
let written: Array<{ room: string; items: string[] }>;
let batcher: RoomBatcher;

beforeEach(() => {
  jest.useFakeTimers();
  now = 1_000;
  written = [];
  batcher = new RoomBatcher({ windowMs: 10, now: () => now, write: (room, items) => written.push({ room, items: items.map(label) }) });
});
afterEach(() => {
  batcher.clear();
  jest.useRealTimers();
});

/** Moves both the batcher's clock and Jest's timers. */
function advance(ms: number) {
  now += ms;
  jest.advanceTimersByTime(ms);
}

/** Runs what waits for the end of the event loop's turn (setImmediate), without moving the clock. */
const endOfTurn = () => jest.advanceTimersByTime(0);

it('sends the first event after a quiet window at the end of the turn, with what else the turn brought, each room on its own', () => {
  // A transition's row and counts come in one read from Redis: one frame, and no timer waited for.
  batcher.offer('org:a', row('t1', 1));
  batcher.offer('org:a', counts('shared', 1));
  batcher.offer('org:b', row('t2', 1));
  expect(written).toEqual([]);
  endOfTurn();
  expect(written).toEqual([
    { room: 'org:a', items: ['dashboard:task_list_updated t1@1', 'counts shared=1'] },
    { room: 'org:b', items: ['dashboard:task_list_updated t2@1'] },
  ]);
  expect(batcher.pendingRooms).toBe(0);
  // A quiet window later, the next one goes at the end of its turn too.
  advance(10);
  batcher.offer('org:a', row('t1', 2));
  endOfTurn();
  expect(written.at(-1)).toEqual({ room: 'org:a', items: ['dashboard:task_list_updated t1@2'] });
});

it('holds what arrives inside the window and writes it as one batch when the window ends', () => {
  batcher.offer('org:a', row('t1', 1));
  endOfTurn();
  expect(written).toHaveLength(1);
  advance(3);
  batcher.offer('org:a', created('t2'));
  batcher.offer('org:a', row('t2', 1));
  expect(batcher.pendingRooms).toBe(1);
  advance(6);
  expect(written).toHaveLength(1);
  advance(1);
  expect(written[1]).toEqual({ room: 'org:a', items: ['task:created t2@1', 'dashboard:task_list_updated t2@1'] });
  // The batch was the room's last frame: what follows inside the next window waits again.
  advance(2);
  batcher.offer('org:a', row('t2', 2));
  endOfTurn();
  expect(written).toHaveLength(2);
  advance(8);
  expect(written).toHaveLength(3);
});

it('leaves out a row superseded by a later row of the same task, and counts superseded by later counts of that scope', () => {
  batcher.offer('org:a', row('t1', 1));
  batcher.offer('org:a', row('t1', 2, 5));
  batcher.offer('org:a', counts('shared', 6));
  batcher.offer('org:a', row('t2', 1, 7));
  batcher.offer('org:a', counts('private', 1));
  batcher.offer('org:a', row('t1', 3, 8));
  batcher.offer('org:a', counts('shared', 9));
  advance(10);
  // Each replacement moves to the end: what arrived last is applied last (t1's row carries counts 8, then counts 9).
  expect(written[0]!.items).toEqual([
    'dashboard:task_list_updated t2@1',
    'counts private=1',
    'dashboard:task_list_updated t1@3',
    'counts shared=9',
  ]);
});

it('keeps the newer row when an older one of the same task arrives late', () => {
  batcher.offer('org:a', row('t0', 1));
  batcher.offer('org:a', row('t1', 4));
  batcher.offer('org:a', row('t1', 3));
  advance(10);
  expect(written[0]!.items).toEqual(['dashboard:task_list_updated t0@1', 'dashboard:task_list_updated t1@4']);
});

it('flush writes a waiting batch at once (before anything else reaches the room), and only once', () => {
  batcher.offer('org:a', row('t0', 1));
  batcher.offer('org:a', row('t1', 1));
  batcher.offer('org:b', row('t2', 1));
  batcher.offer('org:b', row('t2', 2));
  batcher.flush('org:a');
  expect(written.map((w) => w.room)).toEqual(['org:a']);
  batcher.flushAll();
  expect(written.map((w) => w.room)).toEqual(['org:a', 'org:b']);
  advance(50);
  expect(written).toHaveLength(2);
  batcher.flush('org:a');
  expect(written).toHaveLength(2);
});

it('forgets quiet rooms once it holds many, so a node serving many users does not grow without bound', () => {
  for (let i = 0; i < 1_000; i++) batcher.offer(`user:${i}`, row(`t${i}`, 1));
  endOfTurn();
  advance(10);
  batcher.offer('org:new', row('x', 1));
  expect((batcher as unknown as { rooms: Map<string, unknown> }).rooms.size).toBe(1);
});

it('refuses a window that is not positive', () => {
  expect(() => new RoomBatcher({ windowMs: 0, write: () => undefined })).toThrow(RangeError);
});

it('reads a window given as a function at each event (wider while the node is behind)', () => {
  let windowMs = 10;
  const adaptive = new RoomBatcher({
    windowMs: () => windowMs,
    now: () => now,
    write: (room, items) => written.push({ room, items: items.map(label) }),
  });
  try {
    adaptive.offer('org:a', row('t1', 1));
    endOfTurn();
    windowMs = 50;
    advance(20);
    // Past 10 ms but inside the wider window: it waits, and goes out when that window ends.
    adaptive.offer('org:a', row('t1', 2));
    endOfTurn();
    advance(29);
    expect(written).toHaveLength(1);
    advance(1);
    expect(written[1]).toEqual({ room: 'org:a', items: ['dashboard:task_list_updated t1@2'] });
  } finally {
    adaptive.clear();
  }
});
