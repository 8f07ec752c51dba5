import { startFakeGitHub, spawnApp, type FakeIssue } from '@taskflow/testing';
import { startPipelineStack, type PipelineStack } from './testing/pipeline-stack';

/**
 * A worker killed (SIGKILL) after GitHub created the issue but before the
 * dispatch was committed: the job is recovered by another worker (BullMQ's
 * stalled-job check), finds the issue by its marker, and the task reaches
 * `dispatched` once, with exactly one issue.
 */
jest.setTimeout(90_000);

let stack: PipelineStack;
// Starts a server process (up to 60 s on a busy machine, see startPipelineStack): a budget above that.
beforeAll(async () => {
  stack = await startPipelineStack();
}, 120_000);
afterAll(() => stack.close());

it('loses no task and creates no second issue when a worker dies mid-dispatch', async () => {
  let holding = true;
  let created: (issue: FakeIssue) => void = () => undefined;
  const issueCreated = new Promise<FakeIssue>((resolve) => (created = resolve));
  const github = await startFakeGitHub({
    token: 'ghp_test',
    // Store the issue, then never answer while `holding`: the worker dies waiting.
    beforeCreateReply: async (issue) => {
      created(issue);
      while (holding) await new Promise((r) => setTimeout(r, 50));
    },
  });
  const lockEnv = { STALLED_INTERVAL_MS: '1000', LOCK_DURATION_MS: '2000', GITHUB_TOKEN: 'ghp_test', GITHUB_API_URL: github.url };
  const doomed = spawnApp('apps/worker/src/main.ts', { ...stack.workerEnv, ...lockEnv, NODE_ID: 'doomed-worker', LOG_LEVEL: 'info' });
  try {
    await doomed.waitForOutput('worker ready');
    const alice = await stack.asUser('alice');
    const { body } = await alice.post('/api/tasks', {
      title: 'Fix rounding in invoices',
      description: 'Invoice totals in src/invoices/total.ts round half-down; they must round half-even like the ledger.',
    });
    const issue = await issueCreated;
    doomed.proc.kill('SIGKILL');
    await doomed.exited;
    holding = false;
    expect((await alice.get(`/api/tasks/${body.task.id}`)).body.status).toBe('analyzing');

    const survivor = stack.startWorker(lockEnv);
    const dispatched = await stack.waitForStatus(alice, body.task.id, 'dispatched', 30_000);
    expect(github.issues).toHaveLength(1);
    expect(dispatched.githubIssueNumber).toBe(issue.number);
    expect(dispatched.events.filter((e: any) => e.eventType === 'dispatched')).toHaveLength(1);
    // The survivor looked for the issue before creating one.
    expect(github.requests.filter((r) => r.method === 'GET').length).toBeGreaterThan(0);
    await survivor.stop();
  } finally {
    holding = false;
    await doomed.stop('SIGKILL');
    await github.close();
  }
});
