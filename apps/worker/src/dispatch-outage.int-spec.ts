import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { dispatchJobId, QUEUES } from '@taskflow/events';
import { eventually, startFakeGitHub, testEnv } from '@taskflow/testing';
import { startPipelineStack, type PipelineStack } from './testing/pipeline-stack';

/**
 * GitHub down for longer than RECONCILE_AFTER_MS while a task's dispatch job backs
 * off: the reconciler finds that job (same id as the analysis enqueued it under) and
 * leaves it alone, so the task is analysed once, dispatched by one job, as one issue.
 */
jest.setTimeout(90_000);

let stack: PipelineStack;
let redis: Redis;
let github: Queue;
// Starts a server process (up to 60 s on a busy machine, see startPipelineStack): a budget above that.
beforeAll(async () => {
  stack = await startPipelineStack();
  redis = new Redis(testEnv('TEST_REDIS_URL'));
  github = new Queue(QUEUES.github, { connection: redis, prefix: stack.prefix });
}, 120_000);
afterAll(async () => {
  await github.close();
  redis.disconnect();
  await stack.close();
});

it('a dispatch failing longer than RECONCILE_AFTER_MS yields one analysis, one dispatch job and one issue', async () => {
  let down = true;
  const fake = await startFakeGitHub({ token: 'ghp_test', unavailable: () => down });
  try {
    const worker = stack.startWorker({
      GITHUB_TOKEN: 'ghp_test',
      GITHUB_API_URL: fake.url,
      RECONCILE_AFTER_MS: '1000',
      JOB_ATTEMPTS: '50',
      JOB_BACKOFF_MS: '200',
      JOB_BACKOFF_MAX_MS: '400',
    });
    const alice = await stack.asUser('alice');
    const { body } = await alice.post('/api/tasks', {
      title: 'Paginate the audit log',
      description: 'The audit log page in src/audit/list.ts loads every row; paginate it by 50 with a cursor.',
    });
    const taskId: string = body.task.id;
    // GitHub refuses for a while: several reconciler rounds pass while the dispatch job backs off.
    await eventually('dispatch attempts against the GitHub outage', async () => (fake.requests.length >= 3 ? true : undefined), 20_000);
    await new Promise((r) => setTimeout(r, 4000));
    const refusedWhileDown = fake.requests.length;
    down = false;
    const dispatched = await stack.waitForStatus(alice, taskId, 'dispatched', 30_000);
    // Another reconciler period or two: nothing further may start.
    await new Promise((r) => setTimeout(r, 2500));
    await worker.stop();

    const events = (await alice.get(`/api/tasks/${taskId}`)).body.events as Array<{ eventType: string }>;
    const count = (type: string) => events.filter((e) => e.eventType === type).length;
    expect(refusedWhileDown).toBeGreaterThanOrEqual(5);
    expect({ analyzing: count('analyzing'), llm_response: count('llm_response'), dispatched: count('dispatched') }).toEqual({
      analyzing: 1,
      llm_response: 1,
      dispatched: 1,
    });
    const jobs = (await github.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed'])).filter((j) => j.data.taskId === taskId);
    expect(jobs.map((j) => j.id)).toEqual([dispatchJobId(taskId, 0)]);
    expect(fake.issues).toHaveLength(1);
    expect(fake.issues[0]).toMatchObject({ repo: 'acme/payments', state: 'open' });
    expect(dispatched.githubIssueNumber).toBe(fake.issues[0]!.number);
  } finally {
    await fake.close();
  }
});
