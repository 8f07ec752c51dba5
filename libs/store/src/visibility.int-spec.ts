import { AppError } from '@taskflow/platform';
import { createStoreFixture, type StoreFixture } from './testing';
import { transition } from './tasks.commands';
import { countOrgTasks, countPrivateTasks, countTasks, encodeCursor, getTask, listTasks } from './tasks.queries';
import { sql } from 'kysely';
import { TASK_VISIBLE_TO_USER_ROW, type TaskRecord } from './task-record';

let f: StoreFixture;
let alicePublic: TaskRecord;
let alicePrivate: TaskRecord;
let bobPublic: TaskRecord;
let carolPublic: TaskRecord;

beforeAll(async () => {
  f = await createStoreFixture();
  alicePublic = (await f.newTask(f.users.alice, { title: 'alice public' })).task;
  alicePrivate = (await f.newTask(f.users.alice, { title: 'alice private', isPrivate: true })).task;
  bobPublic = (await f.newTask(f.users.bob, { title: 'bob public' })).task;
  carolPublic = (await f.newTask(f.users.carol, { title: 'carol public' })).task;
});
afterAll(() => f.close());

const titles = (tasks: TaskRecord[]) => tasks.map((t) => t.title).sort();

describe('visibility', () => {
  it('a user sees their own tasks, private ones included', async () => {
    expect(await getTask(f.db, f.users.alice, alicePrivate.id)).toBeDefined();
  });

  it('org members see non-private org tasks but not private ones', async () => {
    expect(await getTask(f.db, f.users.bob, alicePublic.id)).toBeDefined();
    expect(await getTask(f.db, f.users.bob, alicePrivate.id)).toBeUndefined();
  });

  it('another org sees nothing, the same way a missing task looks', async () => {
    expect(await getTask(f.db, f.users.carol, alicePublic.id)).toBeUndefined();
    expect(await getTask(f.db, f.users.carol, '00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('lists apply the same rules', async () => {
    expect(titles((await listTasks(f.db, f.users.alice)).tasks)).toEqual(['alice private', 'alice public', 'bob public']);
    expect(titles((await listTasks(f.db, f.users.bob)).tasks)).toEqual(['alice public', 'bob public']);
    expect(titles((await listTasks(f.db, f.users.carol)).tasks)).toEqual(['carol public']);
  });

  it('filters by scope, creator and status', async () => {
    expect(titles((await listTasks(f.db, f.users.alice, { scope: 'mine' })).tasks)).toEqual(['alice private', 'alice public']);
    expect(titles((await listTasks(f.db, f.users.bob, { creatorId: f.users.alice.id })).tasks)).toEqual(['alice public']);
    // A creator filter never widens what the viewer may see.
    expect((await listTasks(f.db, f.users.carol, { creatorId: f.users.alice.id })).tasks).toEqual([]);
    await transition(f.db, { taskId: bobPublic.id, from: 'received', to: 'analyzing', event: 'analyzing' });
    expect(titles((await listTasks(f.db, f.users.alice, { status: 'analyzing' })).tasks)).toEqual(['bob public']);
    expect(titles((await listTasks(f.db, f.users.alice, { status: ['analyzing', 'received'] })).tasks)).toHaveLength(3);
  });

  it('counts only visible tasks, per group', async () => {
    await transition(f.db, { taskId: carolPublic.id, from: 'received', to: 'failed', event: 'failed', patch: { errorMessage: 'x' } });
    expect(await countTasks(f.db, f.users.alice)).toEqual({ activeCount: 3, completedCount: 0, failedCount: 0, total: 3 });
    expect(await countTasks(f.db, f.users.bob)).toEqual({ activeCount: 2, completedCount: 0, failedCount: 0, total: 2 });
    expect(await countTasks(f.db, f.users.carol)).toEqual({ activeCount: 0, completedCount: 0, failedCount: 1, total: 1 });
    await transition(f.db, { taskId: alicePrivate.id, from: 'received', to: 'cancelled', event: 'cancelled' });
    expect(await countTasks(f.db, f.users.alice, 'mine')).toEqual({ activeCount: 1, completedCount: 1, failedCount: 0, total: 2 });
    // Shared (org) + private (own) add up to what the creator sees.
    expect(await countPrivateTasks(f.db, f.users.alice.id)).toEqual({ activeCount: 0, completedCount: 1, failedCount: 0, total: 1 });
    expect(await countOrgTasks(f.db, f.users.alice.orgId)).toEqual({ activeCount: 2, completedCount: 0, failedCount: 0, total: 2 });
    expect(await countTasks(f.db, f.users.alice)).toEqual({ activeCount: 2, completedCount: 1, failedCount: 0, total: 3 });
  });
});

describe("visibility from the recipients' side", () => {
  it('names, for every task, exactly the users its reads show it to (the notifications path uses it)', async () => {
    const users = Object.values(f.users);
    for (const task of [alicePublic, alicePrivate, bobPublic, carolPublic]) {
      const { rows } = await sql<{ id: string }>`
        select u.id from users u join tasks t on t.id = ${task.id}
        where u.id in (${sql.join(users.map((u) => u.id))}) and ${TASK_VISIBLE_TO_USER_ROW}`.execute(f.db);
      const readers: string[] = [];
      for (const u of users) if (await getTask(f.db, u, task.id)) readers.push(u.id);
      expect(rows.map((r) => r.id).sort()).toEqual(readers.sort());
    }
    // The private task reaches only its creator; the shared one the whole org.
    const { rows } = await sql<{ id: string }>`
      select u.id from users u join tasks t on t.id = ${alicePrivate.id} where ${TASK_VISIBLE_TO_USER_ROW}`.execute(f.db);
    expect(rows.map((r) => r.id)).toEqual([f.users.alice.id]);
  });
});

describe('pagination', () => {
  it('walks every visible task once, newest update first, across pages', async () => {
    const g = await createStoreFixture();
    try {
      for (let i = 0; i < 23; i++) await g.newTask(i % 2 ? g.users.alice : g.users.bob, { title: `t${i}` });
      const seen: TaskRecord[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await listTasks(g.db, g.users.alice, { limit: 5, cursor });
        seen.push(...page.tasks);
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(5);
      expect(seen).toHaveLength(23);
      expect(new Set(seen.map((t) => t.id)).size).toBe(23);
      const times = seen.map((t) => t.updatedAt.getTime());
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(seen[0]!.title).toBe('t22');
    } finally {
      await g.close();
    }
  });

  it('rejects a forged cursor with a clear error', async () => {
    const bad = Buffer.from("2026-01-01'; drop table tasks; --|x").toString('base64url');
    await expect(listTasks(f.db, f.users.alice, { cursor: bad })).rejects.toBeInstanceOf(AppError);
    await expect(listTasks(f.db, f.users.alice, { cursor: 'garbage' })).rejects.toMatchObject({ code: 'INVALID_CURSOR', statusCode: 400 });
    // A well-formed time with an id that is not a UUID is refused before PostgreSQL would fail on it.
    const ts = '2026-11-25 18:45:12.123456+00';
    await expect(
      listTasks(f.db, f.users.alice, { cursor: encodeCursor(ts, 'urn:uuid:3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f') }),
    ).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    await expect(
      listTasks(f.db, f.users.alice, { cursor: encodeCursor(ts, '3F2B8C1E-8D9A-4C6B-9F1E-2A3B4C5D6E7F') }),
    ).resolves.toMatchObject({ tasks: expect.any(Array) });
  });

  it('caps the page size', async () => {
    const page = await listTasks(f.db, f.users.alice, { limit: 10_000 });
    expect(page.tasks.length).toBeLessThanOrEqual(200);
  });
});
