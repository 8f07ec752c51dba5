import { Redis } from 'ioredis';
import { rooms, toDashboardTask } from '@taskflow/events';
import { createStoreFixture, type StoreFixture } from '@taskflow/store/testing';
import { testEnv } from '@taskflow/testing';
import { DashboardSnapshots } from './dashboard-snapshots';

/**
 * The node's snapshot cache against real PostgreSQL and a real Redis subscriber: one read shared by a user's joins,
 * and what each later join must be sent after it so that it misses nothing.
 */
let f: StoreFixture;
let sub: Redis;

beforeAll(async () => {
  f = await createStoreFixture();
  sub = new Redis(testEnv('TEST_REDIS_URL'));
  await sub.ping();
});
afterAll(async () => {
  sub.disconnect();
  await f.close();
});

const packet = (event: string, payload: unknown) => ({ type: 2, data: [event, payload], nsp: '/' });

function cache(options: ConstructorParameters<typeof DashboardSnapshots>[2] = {}) {
  let reads = 0;
  const snapshots = new DashboardSnapshots(f.db, sub, { ...options, onRead: () => (reads += 1) });
  return { snapshots, reads: () => reads };
}

async function row(seq: number, title = `task ${seq}`) {
  const { task } = await f.newTask(f.users.alice, { title });
  return { ...toDashboardTask(task), seq, updatedAt: new Date().toISOString() };
}

describe('DashboardSnapshots', () => {
  const org = () => rooms.org(f.users.alice.orgId);

  it('shares one read, and sends a later join the events that arrived before it, superseded rows left out', async () => {
    const { snapshots, reads } = cache();
    const first = await snapshots.join(f.users.alice);
    expect(first.after).toEqual([]);
    const a = await row(1, 'a');
    const b = await row(1, 'b');
    snapshots.received([org()], packet('dashboard:task_list_updated', a));
    snapshots.received([org()], packet('dashboard:task_list_updated', b));
    snapshots.received([org()], packet('dashboard:task_list_updated', { ...a, seq: 2 }));
    // Not part of a dashboard: neither sent again nor a reason to read again.
    snapshots.received([rooms.user(f.users.alice.id)], packet('notification:created', { unreadCount: 1 }));
    const second = await snapshots.join(f.users.alice);
    expect(second.state).toEqual(first.state);
    expect(second.after).toEqual([
      { event: 'dashboard:task_list_updated', payload: b },
      { event: 'dashboard:task_list_updated', payload: { ...a, seq: 2 } },
    ]);
    // Bob, same org, has a snapshot of his own (his private tasks differ); Carol's org is not extended.
    await snapshots.join(f.users.bob);
    expect(reads()).toBe(2);
    expect((await snapshots.join(f.users.bob)).after).toEqual([]);
    // One broadcast to both of Alice's rooms is sent to her once; one to everyone drops every snapshot.
    const c = await row(1, 'c');
    snapshots.received([org(), rooms.userDashboard(f.users.alice.id)], packet('task:created', c));
    expect((await snapshots.join(f.users.alice)).after.filter((i) => i.event === 'task:created')).toHaveLength(1);
    snapshots.received([], packet('dashboard:task_count_changed', { scope: 'shared' }));
    await snapshots.join(f.users.alice);
    expect(reads()).toBe(3);
  });

  it('does not send a join what arrived after it: the socket, in the room by then, gets that live', async () => {
    const { snapshots } = cache();
    await snapshots.join(f.users.alice);
    const a = await row(1);
    const pending = snapshots.join(f.users.alice);
    snapshots.received([org()], packet('dashboard:task_list_updated', a));
    expect((await pending).after).toEqual([]);
    expect((await snapshots.join(f.users.alice)).after).toEqual([{ event: 'dashboard:task_list_updated', payload: a }]);
  });

  it('reads again after a broadcast it cannot replay exactly, past maxTail events, after ttlMs, and when a room goes', async () => {
    const { snapshots, reads } = cache({ maxTail: 2, ttlMs: 300 });
    const a = await row(1);
    await snapshots.join(f.users.alice);
    snapshots.received([org()], packet('dashboard:task_list_updated', a), [rooms.user(f.users.bob.id)]);
    await snapshots.join(f.users.alice);
    expect(reads()).toBe(2);
    for (const seq of [2, 3, 4]) snapshots.received([org()], packet('dashboard:task_list_updated', { ...a, seq }));
    expect((await snapshots.join(f.users.alice)).after).toEqual([]);
    expect(reads()).toBe(3);
    snapshots.roomDeleted(rooms.userDashboard(f.users.alice.id));
    await snapshots.join(f.users.alice);
    expect(reads()).toBe(4);
    await new Promise((r) => setTimeout(r, 350));
    await snapshots.join(f.users.alice);
    expect(reads()).toBe(5);
    await snapshots.join(f.users.alice);
    expect(reads()).toBe(5);
  });

  it('caches nothing while its Redis subscription is down: broadcasts may be missing', async () => {
    const own = new Redis(testEnv('TEST_REDIS_URL'));
    await own.ping();
    let reads = 0;
    const snapshots = new DashboardSnapshots(f.db, own, { onRead: () => (reads += 1) });
    await snapshots.join(f.users.alice);
    await snapshots.join(f.users.alice);
    expect(reads).toBe(1);
    own.disconnect();
    await new Promise((r) => setTimeout(r, 50));
    await snapshots.join(f.users.alice);
    await snapshots.join(f.users.alice);
    expect(reads).toBe(3);
    expect(snapshots.size).toBe(0);
  });
});
