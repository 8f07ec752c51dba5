import { findTaskForWebhook } from './pipeline.queries';
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
});
