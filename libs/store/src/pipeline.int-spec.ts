import { sql } from 'kysely';
import { findTaskByNumber, findTaskForWebhook } from './pipeline.queries';
import { transition } from './tasks.commands';
import { createStoreFixture, type StoreFixture } from './testing';

let f: StoreFixture;
beforeAll(async () => {
  f = await createStoreFixture();
});
afterAll(() => f.close());

/** A task of `repo` dispatched as issue `issue` on `branch`. */
async function dispatched(repo: string, issue: number, branch: string) {
  const { task } = await f.newTask(f.users.alice, { repo });
  await transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
  await transition(f.db, {
    taskId: task.id,
    from: 'analyzing',
    to: 'dispatched',
    event: 'dispatched',
    patch: {
      githubIssueNumber: issue,
      githubIssueUrl: `https://github.com/${repo}/issues/${issue}`,
      githubBranch: branch,
      dispatchedAt: new Date(),
    },
  });
  return task;
}

describe('findTaskForWebhook', () => {
  it('finds a task by its branch in its own repository', async () => {
    const task = await dispatched('acme/payments', 101, 'taskflow/find-by-branch');
    expect((await findTaskForWebhook(f.db, { repo: 'acme/payments', branch: 'taskflow/find-by-branch' }))?.id).toBe(task.id);
  });

  it('does not find a task by its branch name from another repository', async () => {
    await dispatched('acme/payments', 102, 'taskflow/other-repo-branch');
    expect(await findTaskForWebhook(f.db, { repo: 'acme/web', branch: 'taskflow/other-repo-branch' })).toBeUndefined();
  });

  it('finds a task by an issue reference in its own repository only', async () => {
    const task = await dispatched('acme/payments', 103, 'taskflow/by-issue');
    expect((await findTaskForWebhook(f.db, { repo: 'acme/payments', branch: 'feature/x', issueRefs: [103] }))?.id).toBe(task.id);
    expect(await findTaskForWebhook(f.db, { repo: 'acme/web', branch: 'feature/x', issueRefs: [103] })).toBeUndefined();
  });

  it("finds a task whatever the spelling of its repository, as ownership compares it (GitHub's names are case-insensitive)", async () => {
    const task = await dispatched('Acme/Payments', 104, 'taskflow/by-spelling');
    await f.db.updateTable('tasks').set({ prNumber: 204 }).where('id', '=', task.id).execute();
    expect((await findTaskForWebhook(f.db, { repo: 'acme/payments', branch: 'taskflow/by-spelling' }))?.id).toBe(task.id);
    expect((await findTaskForWebhook(f.db, { repo: 'ACME/payments', branch: 'feature/y', issueRefs: [104] }))?.id).toBe(task.id);
    expect((await findTaskByNumber(f.db, 'acme/PAYMENTS', 104))?.id).toBe(task.id);
    expect((await findTaskByNumber(f.db, 'acme/payments', 204))?.id).toBe(task.id);
    expect(await findTaskByNumber(f.db, 'acme/web', 104)).toBeUndefined();
  });

  it('looks tasks up by number through an index on the lower-cased repository, not a scan of every task', async () => {
    const plan = await f.db.connection().execute(async (conn) => {
      await sql`set enable_seqscan = off`.execute(conn);
      try {
        const rows = await sql<{ 'QUERY PLAN': string }>`explain select id from tasks t
          where lower(t.repo) = lower(${'acme/payments'}) and (t.github_issue_number = 1 or t.pr_number = 1)`.execute(conn);
        return rows.rows.map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        await sql`reset enable_seqscan`.execute(conn);
      }
    });
    expect(plan).toMatch(/Index Cond: \(\(lower\(repo\)/);
  });
});
