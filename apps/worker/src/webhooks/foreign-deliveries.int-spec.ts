import { createBranchEvent, issueCommentEvent, pullRequestEvent, sendWebhook } from '@taskflow/github-sim';
import { taskBranch } from '@taskflow/events';
import { transition } from '@taskflow/store';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { login, openSocket, type TestSocket } from '@taskflow/testing';
import { startPipelineStack, WEBHOOK_SECRET, type PipelineStack } from '../testing/pipeline-stack';

/**
 * GitHub traffic from outside a task's repository, through a real server
 * process and a real worker: answered 2xx, and the task does not move. Each
 * case ends with a genuine delivery for the task; deliveries are applied one at
 * a time in arrival order, so once that one shows, the hostile ones were handled.
 */
jest.setTimeout(90_000);

let stack: PipelineStack;
let watcher: TestSocket;
let issueNumber = 100;

// Starts a server process (up to 60 s on a busy machine, see startPipelineStack): a budget above that.
beforeAll(async () => {
  stack = await startPipelineStack();
  stack.startWorker();
  watcher = await openSocket(stack.url, { token: await login(stack.url, 'alice', FIXTURE_PASSWORD) });
}, 120_000);
afterAll(async () => {
  watcher?.close();
  await stack.close();
});

const hook = async (event: string, payload: object) => {
  const res = await sendWebhook(`${stack.url}/api/webhooks/github`, event, payload, { secret: WEBHOOK_SECRET });
  expect(res.status).toBeGreaterThanOrEqual(200);
  expect(res.status).toBeLessThan(300);
  return JSON.parse(res.body) as { status: string; reason?: string };
};

/** A task of acme/payments, dispatched as its own issue on its own branch, watched by alice's socket. */
async function dispatchedTask() {
  const issue = ++issueNumber;
  const { id, branch } = await stack.dispatchedTask(issue);
  expect((await watcher.request('task:join', { taskId: id })).ok).toBe(true);
  return { id, issue, branch };
}

/** The genuine `create` for the task's branch, then the task's event log once it has been applied. */
async function afterGenuineBranch(task: { id: string; branch: string }) {
  expect(await hook('create', createBranchEvent({ repo: 'acme/payments', branch: task.branch }))).toEqual({ status: 'queued', matched: 1 });
  const alice = await stack.asUser('alice');
  const coding = await stack.waitForStatus(alice, task.id, 'coding');
  return coding.events.map((e: { eventType: string }) => e.eventType);
}

const UNMOVED = ['created', 'analyzing', 'dispatched', 'coding'];

describe('deliveries from outside the task’s repository change nothing', () => {
  it("a fork's pull request from a branch named like the task's, opened then closed", async () => {
    const task = await dispatchedTask();
    const fork = { repo: 'acme/payments', headRepo: 'mallory/payments', branch: task.branch, prNumber: 666 };
    expect(await hook('pull_request', pullRequestEvent({ ...fork, action: 'opened' }))).toMatchObject({ status: 'ignored' });
    expect(await hook('pull_request', pullRequestEvent({ ...fork, action: 'closed', merged: false }))).toMatchObject({ status: 'ignored' });
    expect(await afterGenuineBranch(task)).toEqual(UNMOVED);
  });

  it("'Closes #N' in a pull request from a fork", async () => {
    const task = await dispatchedTask();
    const fork = { repo: 'acme/payments', headRepo: 'mallory/payments', branch: 'patch-1', prNumber: 667, body: `Closes #${task.issue}` };
    await hook('pull_request', pullRequestEvent({ ...fork, action: 'opened' }));
    await hook('pull_request', pullRequestEvent({ ...fork, action: 'closed', merged: false }));
    expect(await afterGenuineBranch(task)).toEqual(UNMOVED);
  });

  it('a pull request in another repository the webhook covers, on a branch of the same name', async () => {
    const task = await dispatchedTask();
    const other = { repo: 'acme/web', branch: task.branch, prNumber: 668 };
    await hook('pull_request', pullRequestEvent({ ...other, action: 'opened' }));
    await hook('pull_request', pullRequestEvent({ ...other, action: 'closed', merged: true }));
    expect(await afterGenuineBranch(task)).toEqual(UNMOVED);
  });

  it('a branch of the same name created in another repository', async () => {
    const task = await dispatchedTask();
    await hook('create', createBranchEvent({ repo: 'acme/web', branch: task.branch }));
    await hook('create', createBranchEvent({ repo: 'mallory/payments', branch: task.branch }));
    // Applied before the genuine open below: had either moved the task to coding, it would say so.
    const alice = await stack.asUser('alice');
    await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch: task.branch, prNumber: 669, action: 'opened' }));
    const open = await stack.waitForStatus(alice, task.id, 'pr_open');
    expect(open.events.map((e: { eventType: string }) => e.eventType)).toEqual(['created', 'analyzing', 'dispatched', 'pr_opened']);
  });
});

describe('deliveries of a repository another org owns', () => {
  it('neither move nor annotate a task of an org that does not own the repository', async () => {
    // globex's task naming acme's repository (filed before repositories belonged to orgs), dispatched there.
    const { task } = await stack.f.newTask(stack.f.users.carol, { repo: 'acme/payments' });
    const issue = ++issueNumber;
    const branch = taskBranch(task.id);
    await transition(stack.f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
    await transition(stack.f.db, {
      taskId: task.id,
      from: 'analyzing',
      to: 'dispatched',
      event: 'dispatched',
      patch: { githubIssueNumber: issue, githubIssueUrl: `https://github.com/acme/payments/issues/${issue}`, githubBranch: branch },
    });
    expect(await hook('create', createBranchEvent({ repo: 'acme/payments', branch }))).toEqual({ status: 'queued', matched: 0 });
    await hook(
      'pull_request',
      pullRequestEvent({ repo: 'acme/payments', branch: 'patch-2', prNumber: 670, action: 'opened', body: `Closes #${issue}` }),
    );
    await hook('issue_comment', issueCommentEvent({ repo: 'acme/payments', number: issue, body: 'acme writes into globex’s task' }));
    // A genuine delivery for acme's own task, applied after the ones above.
    expect(await afterGenuineBranch(await dispatchedTask())).toEqual(UNMOVED);
    const carol = await stack.asUser('carol');
    const after = (await carol.get(`/api/tasks/${task.id}`)).body;
    expect(after).toMatchObject({ status: 'dispatched', prNumber: null });
    expect(after.events.map((e: { eventType: string }) => e.eventType)).toEqual(['created', 'analyzing', 'dispatched']);
  });
});

describe('pull requests of the task’s own repository', () => {
  it('still move the task, and only https links on github.com reach a browser', async () => {
    const task = await dispatchedTask();
    const own = { repo: 'acme/payments', branch: task.branch, prNumber: 42 };
    const foreign = ['https://evil.example/acme/payments/pull/42', 'http://github.com/acme/payments/pull/42', 'javascript:alert(1)'];
    for (const url of foreign) {
      const payload = pullRequestEvent({ ...own, action: 'opened' });
      payload.pull_request.html_url = url;
      expect(await hook('pull_request', payload)).toMatchObject({ status: 'ignored' });
    }
    await hook('pull_request', pullRequestEvent({ ...own, action: 'opened', title: 'Fix rounding' }));
    const alice = await stack.asUser('alice');
    const open = await stack.waitForStatus(alice, task.id, 'pr_open');
    expect(open).toMatchObject({ prNumber: 42, prUrl: 'https://github.com/acme/payments/pull/42', prTitle: 'Fix rounding' });
    await hook('pull_request', pullRequestEvent({ ...own, action: 'closed', merged: true }));
    await stack.waitForStatus(alice, task.id, 'merged');

    const opened = await watcher.waitFor((e) => e.event === 'task:pr_opened' && e.payload.taskId === task.id, 'task:pr_opened');
    expect(opened.payload.prUrl).toBe('https://github.com/acme/payments/pull/42');
    await watcher.waitFor((e) => e.event === 'task:pr_merged' && e.payload.taskId === task.id, 'task:pr_merged');
    const seen = JSON.stringify(watcher.events);
    for (const url of foreign) expect(seen).not.toContain(url);
  });
});
