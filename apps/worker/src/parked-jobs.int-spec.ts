import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { jobId, QUEUES, taskBranch, webhookJobId } from '@taskflow/events';
import { createBranchEvent, pullRequestEvent, sendWebhook, type WebhookEventName } from '@taskflow/github-sim';
import { eventually, runTestProcess, testEnv } from '@taskflow/testing';
import { startPipelineStack, WEBHOOK_SECRET, type PipelineStack } from './testing/pipeline-stack';

/**
 * A 2xx answer to GitHub means the delivery will be applied, whatever PostgreSQL
 * does: jobs that fail for good (here, a worker whose database is unreachable)
 * are parked, not lost; GitHub's Redeliver, the reconciler and the operator's
 * `npm run jobs -- retry-failed` each bring one back, and nothing is applied twice.
 */
jest.setTimeout(120_000);

const REPO_ROOT = path.resolve(__dirname, '../../..');
const UNREACHABLE_DB = 'postgres://postgres:nothing@127.0.0.1:1/nowhere';

let stack: PipelineStack;
let redis: Redis;
let hooks: Queue;
let analysis: Queue;
beforeAll(async () => {
  stack = await startPipelineStack();
  redis = new Redis(testEnv('TEST_REDIS_URL'));
  hooks = new Queue(QUEUES.webhooks, { connection: redis, prefix: stack.prefix });
  analysis = new Queue(QUEUES.analysis, { connection: redis, prefix: stack.prefix });
});
afterAll(async () => {
  await Promise.all([hooks.close(), analysis.close()]);
  redis.disconnect();
  await stack.close();
});

const hook = (event: WebhookEventName, payload: object, deliveryId: string) =>
  sendWebhook(`${stack.url}/api/webhooks/github`, event, payload, { secret: WEBHOOK_SECRET, deliveryId });
const parked = (queue: Queue, id: string) =>
  eventually(`job ${id} to be parked`, async () => ((await (await queue.getJob(id))?.getState()) === 'failed' ? true : undefined), 20_000);
async function jobs(...args: string[]) {
  const run = await runTestProcess('npm', ['run', '-s', 'jobs', '--', ...args], {
    name: `npm run jobs -- ${args.join(' ')}`,
    deadlineMs: 60_000,
    cwd: REPO_ROOT,
    env: { ...process.env, REDIS_URL: testEnv('TEST_REDIS_URL'), QUEUE_PREFIX: stack.prefix },
  });
  if (run.code !== 0) throw new Error(`npm run jobs -- ${args.join(' ')} exited ${run.code}:\n${run.output}`);
  return run;
}

it('parks what fails for good, and applies it once when redelivered, reconciled or replayed', async () => {
  const alice = await stack.asUser('alice');
  const good = stack.startWorker();
  const { body } = await alice.post('/api/tasks', {
    title: 'Paginate the audit log',
    description: 'The audit log page in src/audit/list.ts loads every row; paginate it by 50 with a cursor.',
  });
  const taskId: string = body.task.id;
  const dispatched = await stack.waitForStatus(alice, taskId, 'dispatched');
  await good.stop();

  // A worker whose PostgreSQL is unreachable: every job it takes fails, attempt after attempt.
  const broken = stack.startWorker({ DATABASE_URL: UNREACHABLE_DB });
  const branch = taskBranch(taskId);
  const coding = randomUUID();
  const first = await hook('create', createBranchEvent({ repo: 'acme/payments', branch }), coding);
  expect(first.status).toBe(202);
  await parked(hooks, webhookJobId(coding));
  const prOpen = randomUUID();
  expect(
    (await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 31, action: 'opened' }), prOpen)).status,
  ).toBe(202);
  await parked(hooks, webhookJobId(prOpen));
  // A new task whose analysis is parked: its failure cannot be written either, so the task stays received.
  const stuck = (
    await alice.post('/api/tasks', {
      title: 'Add an index on invoices.customer_id',
      description: 'Invoice listing by customer is slow; add a migration with an index on invoices.customer_id.',
    })
  ).body.task;
  await parked(analysis, jobId('analyze', stuck.id, 1));
  await broken.stop();
  expect((await alice.get(`/api/tasks/${taskId}`)).body).toMatchObject({ status: 'dispatched', seq: dispatched.seq });
  expect((await alice.get(`/api/tasks/${stuck.id}`)).body.status).toBe('received');
  expect(
    await stack.f.db.selectFrom('webhookDeliveries').select('deliveryId').where('deliveryId', 'in', [coding, prOpen]).execute(),
  ).toEqual([]);

  // GitHub's Redeliver (same X-GitHub-Delivery) replays the parked job; a second one while it waits is a duplicate.
  const redelivered = await hook('create', createBranchEvent({ repo: 'acme/payments', branch }), coding);
  expect(redelivered.status).toBe(202);
  expect(JSON.parse(redelivered.body)).toEqual({ status: 'queued', matched: 1 });
  const again = await hook('create', createBranchEvent({ repo: 'acme/payments', branch }), coding);
  expect(again.status).toBe(200);
  expect(JSON.parse(again.body)).toEqual({ status: 'duplicate' });

  // A healthy worker applies it, and its reconciler takes up the stuck task although its job id is parked.
  const healthy = stack.startWorker({ RECONCILE_AFTER_MS: '1000' });
  const codingNow = await stack.waitForStatus(alice, taskId, 'coding');
  expect(codingNow.events.filter((e: { eventType: string }) => e.eventType === 'coding')).toHaveLength(1);
  await stack.waitForStatus(alice, stuck.id, 'dispatched', 30_000);

  // The pr-open delivery stays parked until an operator replays it.
  expect(await (await hooks.getJob(webhookJobId(prOpen)))!.getState()).toBe('failed');
  const listed = await jobs('list-failed');
  expect(listed.stdout).toContain(webhookJobId(prOpen));
  expect(listed.stdout).toMatch(/1 parked job\(s\)/);
  const retried = await jobs('retry-failed', '--queue', QUEUES.webhooks);
  expect(retried.stdout).toContain(`replayed ${QUEUES.webhooks}  ${webhookJobId(prOpen)}`);
  const open = await stack.waitForStatus(alice, taskId, 'pr_open');
  expect(open.prNumber).toBe(31);
  expect((await jobs('list-failed')).stdout).toMatch(/0 parked job\(s\)/);

  // Applied deliveries redelivered are duplicates and change nothing, even once their jobs are gone.
  for (const id of [coding, prOpen]) await (await hooks.getJob(webhookJobId(id)))?.remove();
  for (const [event, payload, id] of [
    ['create', createBranchEvent({ repo: 'acme/payments', branch }), coding],
    ['pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 31, action: 'opened' }), prOpen],
  ] as const) {
    const res = await hook(event, payload, id);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'duplicate' });
  }
  // Nothing changes: time for a (wrongly) enqueued job to have been applied.
  await new Promise((r) => setTimeout(r, 500));
  expect((await alice.get(`/api/tasks/${taskId}`)).body).toMatchObject({ status: 'pr_open', seq: open.seq });
  const ledger = await stack.f.db
    .selectFrom('webhookDeliveries')
    .select(['deliveryId', 'outcome', 'taskId'])
    .where('deliveryId', 'in', [coding, prOpen])
    .execute();
  expect(ledger).toHaveLength(2);
  expect(ledger.every((row) => row.outcome === 'applied' && row.taskId === taskId)).toBe(true);
  await healthy.stop();
});
