import {
  canTransition,
  isStatusEventType,
  SERVER_EVENTS,
  STATUS_AFTER_EVENT,
  taskBranch,
  validate,
  wireEventName,
  type TaskStatus,
} from '@taskflow/events';
import { createTestDatabase, type TestDatabase } from '@taskflow/testing';
import { createDb, type Db } from './db';
import { migrateToLatest } from './migrate';
import { seedDemo } from './seed';
import { seedDemoTasks } from './seed-tasks';
import { createTask } from './tasks.commands';
import { getTask } from './tasks.queries';

/** The demo tasks `npm start` seeds, on a real database: real timelines, and only into an org without tasks. */
let database: TestDatabase;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase('seedtasks');
  db = createDb(database.url, { max: 4 });
  await migrateToLatest(db);
  await seedDemo(db, 'demo-password');
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

const orgTasks = async (slug: string) =>
  db.selectFrom('tasks as t').innerJoin('orgs as o', 'o.id', 't.orgId').select(['t.id', 't.status']).where('o.slug', '=', slug).execute();

it('seeds only an org without tasks, tasks in every state a task goes through, each with the timeline a real one has', async () => {
  // Someone already works in globex: it gets nothing.
  const carol = await db.selectFrom('users').select(['id', 'orgId']).where('username', '=', 'carol').executeTakeFirstOrThrow();
  await createTask(db, {
    orgId: carol.orgId,
    creatorId: carol.id,
    title: 'Real work',
    description: 'Already here',
    repo: 'globex/portal',
    taskTypeHint: 'auto',
    filesHint: [],
    acceptanceCriteria: [],
    priority: 'normal',
    preferredAgent: 'auto',
    isPrivate: false,
  });

  const seeded = await seedDemoTasks(db);
  expect(seeded).toEqual({ acme: expect.any(Number) });
  expect((await orgTasks('globex')).map((t) => t.status)).toEqual(['received']);

  const tasks = await orgTasks('acme');
  expect(tasks).toHaveLength(seeded.acme!);
  // In acme's own default repository.
  expect(
    new Set(
      (
        await db
          .selectFrom('tasks')
          .select('repo')
          .where(
            'id',
            'in',
            tasks.map((t) => t.id),
          )
          .execute()
      ).map((t) => t.repo),
    ),
  ).toEqual(new Set(['acme/payments']));
  const statuses = new Set(tasks.map((t) => t.status));
  for (const s of ['received', 'needs_clarification', 'dispatched', 'coding', 'pr_open', 'merged', 'failed', 'cancelled'] as TaskStatus[])
    expect([s, statuses.has(s)]).toEqual([s, true]);

  for (const { id } of tasks) {
    const { task, events } = (await getTask(db, 'system', id))!;
    // Gapless seq from 1, ending at the task's own; times in order; each event valid on the wire.
    expect(events.map((e) => e.seq)).toEqual(events.map((_e, i) => i + 1));
    expect(task.seq).toBe(events.length);
    expect(events[0]!.eventType).toBe('created');
    for (let i = 1; i < events.length; i++)
      expect(events[i]!.createdAt.getTime()).toBeGreaterThanOrEqual(events[i - 1]!.createdAt.getTime());
    for (const e of events) {
      const { detail: _detail, ...payload } = e.payload;
      const check = validate(SERVER_EVENTS[wireEventName(e.eventType)], payload);
      expect([task.title, e.eventType, check.ok ? [] : check.issues]).toEqual([task.title, e.eventType, []]);
      expect(payload).toMatchObject({ taskId: id, seq: e.seq });
    }
    // Status events follow the status machine, and the last one is the task's status.
    const path = events
      .filter((e) => isStatusEventType(e.eventType))
      .map((e) => STATUS_AFTER_EVENT[e.eventType as keyof typeof STATUS_AFTER_EVENT]);
    for (let i = 1; i < path.length; i++)
      expect([task.title, path[i - 1], path[i], canTransition(path[i - 1]!, path[i]!)]).toEqual([task.title, path[i - 1], path[i], true]);
    expect(path.at(-1)).toBe(task.status);

    if (task.status === 'needs_clarification') {
      expect(task.clarificationQuestions.length).toBeGreaterThan(0);
      expect(events.at(-2)!.payload).toMatchObject({ questions: task.clarificationQuestions });
    }
    if (task.githubIssueNumber !== null) expect(task.githubBranch).toBe(taskBranch(id));
    if (task.status === 'merged') expect(task).toMatchObject({ prState: 'merged', mergeCommitSha: expect.any(String) });
    if (task.status === 'failed') expect(task.errorMessage).toEqual(expect.any(String));
  }
});

it('seeds nothing more on a second run (a restart of the stack)', async () => {
  const before = (await orgTasks('acme')).length;
  expect(await seedDemoTasks(db)).toEqual({});
  expect((await orgTasks('acme')).length).toBe(before);
  const events = await db
    .selectFrom('taskEvents')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  expect(await seedDemoTasks(db)).toEqual({});
  const after = await db
    .selectFrom('taskEvents')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  expect(after.n).toBe(events.n);
});

it("puts each org's demo tasks in that org's own repository, never another org's", async () => {
  const own = await createTestDatabase('seedtasks');
  const ownDb = createDb(own.url, { max: 2 });
  try {
    await migrateToLatest(ownDb);
    await seedDemo(ownDb, 'demo-password');
    await seedDemoTasks(ownDb);
    const repos = await ownDb
      .selectFrom('tasks as t')
      .innerJoin('orgs as o', 'o.id', 't.orgId')
      .select(['o.slug', 't.repo'])
      .distinct()
      .orderBy('o.slug')
      .execute();
    expect(repos).toEqual([
      { slug: 'acme', repo: 'acme/payments' },
      { slug: 'globex', repo: 'globex/portal' },
    ]);
  } finally {
    await ownDb.destroy();
    await own.drop();
  }
});
