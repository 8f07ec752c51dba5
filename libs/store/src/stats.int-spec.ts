import { sql } from 'kysely';
import { transition } from './tasks.commands';
import { taskStats } from './stats.queries';
import { countTasks } from './tasks.queries';
import { createStoreFixture, type StoreFixture } from './testing';

let f: StoreFixture;
beforeAll(async () => {
  f = await createStoreFixture();
});
afterAll(() => f.close());

async function mergedAfter(repo: string, agent: 'codex' | 'copilot', prSeconds: number, mergeSeconds: number, clarify = false) {
  const { task } = await f.newTask(f.users.alice, { repo, preferredAgent: agent });
  const id = task.id;
  await transition(f.db, { taskId: id, from: 'received', to: 'analyzing', event: 'analyzing' });
  if (clarify) {
    await transition(f.db, {
      taskId: id,
      from: 'analyzing',
      to: 'needs_clarification',
      event: 'clarification_needed',
      patch: { clarificationQuestions: ['q'] },
    });
    await transition(f.db, {
      taskId: id,
      from: 'needs_clarification',
      to: 'analyzing',
      event: 'clarified',
      patch: { clarificationAnswers: ['a'] },
    });
  }
  await transition(f.db, {
    taskId: id,
    from: 'analyzing',
    to: 'dispatched',
    event: 'dispatched',
    patch: { githubIssueNumber: 1, githubIssueUrl: 'u', githubBranch: `b-${id}` },
  });
  await transition(f.db, {
    taskId: id,
    from: 'dispatched',
    to: 'pr_open',
    event: 'pr_opened',
    patch: { prNumber: 1, prUrl: 'p', prTitle: 't' },
  });
  await transition(f.db, {
    taskId: id,
    from: 'pr_open',
    to: 'merged',
    event: 'pr_merged',
    patch: { mergeCommitSha: 's', mergedAt: new Date() },
  });
  // Place the milestones at known distances from creation.
  await sql`update task_events set created_at = (select created_at from tasks where id = ${id}) + make_interval(secs => ${prSeconds}) where task_id = ${id} and event_type = 'pr_opened'`.execute(
    f.db,
  );
  await sql`update task_events set created_at = (select created_at from tasks where id = ${id}) + make_interval(secs => ${mergeSeconds}) where task_id = ${id} and event_type = 'pr_merged'`.execute(
    f.db,
  );
}

it('counts, rates and time-to-PR/merge percentiles, overall, by repo and by agent, for visible tasks only', async () => {
  await mergedAfter('acme/payments', 'codex', 60, 120, true);
  await mergedAfter('acme/payments', 'codex', 120, 240);
  await mergedAfter('acme/web', 'copilot', 300, 600);
  const { task: failing } = await f.newTask(f.users.alice, { repo: 'acme/web' });
  await transition(f.db, { taskId: failing.id, from: 'received', to: 'failed', event: 'failed', patch: { errorMessage: 'x' } });
  await f.newTask(f.users.alice, { repo: 'acme/web' }); // still received
  await f.newTask(f.users.carol); // another org: never counted

  const stats = await taskStats(f.db, f.users.bob);
  expect(stats.overall).toMatchObject({
    total: 5,
    byStatus: { merged: 3, failed: 1, received: 1 },
    successRate: 0.75,
    failureRate: 0.25,
    clarificationRate: 0.2,
    medianSecondsToPr: 120,
    medianSecondsToMerge: 240,
  });
  expect(stats.overall.p95SecondsToPr).toBeCloseTo(282, 0);
  expect(stats.byRepo.find((g) => g.key === 'acme/payments')).toMatchObject({
    total: 2,
    byStatus: { merged: 2 },
    successRate: 1,
    medianSecondsToPr: 90,
  });
  expect(stats.byRepo.find((g) => g.key === 'acme/web')).toMatchObject({ total: 3, byStatus: { merged: 1, failed: 1, received: 1 } });
  expect(stats.byAgent.find((g) => g.key === 'copilot')).toMatchObject({ total: 1, medianSecondsToMerge: 600 });
  expect(stats.byAgent.map((g) => g.key)).toContain('unassigned');
  expect((await taskStats(f.db, f.users.carol)).overall.total).toBe(1);
});

it('counts a private task for its creator only, by the same rule as the task counts', async () => {
  const before = { alice: (await taskStats(f.db, f.users.alice)).overall.total, bob: (await taskStats(f.db, f.users.bob)).overall.total };
  await f.newTask(f.users.alice, { isPrivate: true });
  const alice = await taskStats(f.db, f.users.alice);
  const bob = await taskStats(f.db, f.users.bob);
  expect(alice.overall.total).toBe(before.alice + 1);
  expect(bob.overall.total).toBe(before.bob);
  for (const viewer of [f.users.alice, f.users.bob, f.users.carol]) {
    const counts = await countTasks(f.db, viewer);
    const stats = await taskStats(f.db, viewer);
    expect(stats.overall.total).toBe(counts.activeCount + counts.completedCount + counts.failedCount);
  }
});
