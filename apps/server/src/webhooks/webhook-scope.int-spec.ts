import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES, taskBranch, type WebhookJobData } from '@taskflow/events';
import { createBranchEvent, pullRequestEvent, signPayload } from '@taskflow/github-sim';
import { testEnv } from '@taskflow/testing';
import { startTestApp, TEST_WEBHOOK_SECRET, type TestApp } from '../testing/test-app';

/**
 * Deliveries from outside a task's repository are acknowledged (GitHub must not
 * flag the hook) but never queued, and are counted on /metrics by reason.
 */
let t: TestApp;
let redis: Redis;
let hooks: Queue<WebhookJobData>;
const repo = 'acme/payments';
const branch = taskBranch('3f2b8c1e-8d9a-4c1e-9d9a-3f2b8c1e8d9a');

beforeAll(async () => {
  t = await startTestApp();
  await t.app.ready();
  redis = new Redis(testEnv('TEST_REDIS_URL'));
  hooks = new Queue<WebhookJobData>(QUEUES.webhooks, { connection: redis, prefix: t.prefix });
});
afterAll(async () => {
  await hooks.close();
  await redis.quit();
  await t.close();
});

function deliver(event: string, payload: object, deliveryId = randomUUID()) {
  const body = JSON.stringify(payload);
  return t.app.inject({
    method: 'POST',
    url: '/api/webhooks/github',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': signPayload(TEST_WEBHOOK_SECRET, body),
    },
    payload: body,
  });
}

async function ignoredCount(reason: string): Promise<number> {
  const text = await t.metricsText();
  const line = text.split('\n').find((l) => l.startsWith(`taskflow_webhook_deliveries_ignored_total{reason="${reason}"}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function expectIgnored(event: string, payload: object, reason: string) {
  const jobsBefore = await hooks.count();
  const countBefore = await ignoredCount(reason);
  const deliveryId = randomUUID();
  const res = await deliver(event, payload, deliveryId);
  expect(res.statusCode).toBe(202);
  expect(res.json()).toMatchObject({ status: 'ignored' });
  expect(await hooks.count()).toBe(jobsBefore);
  expect(await ignoredCount(reason)).toBe(countBefore + 1);
  expect(await t.f.db.selectFrom('webhookDeliveries').selectAll().where('deliveryId', '=', deliveryId).execute()).toEqual([]);
}

describe('deliveries from outside the repository', () => {
  it("acknowledges and counts a fork's pull request on a task's branch, opened then closed, queueing nothing", async () => {
    const fork = { repo, branch, prNumber: 666, headRepo: 'mallory/payments' };
    await expectIgnored('pull_request', pullRequestEvent({ ...fork, action: 'opened' }), 'fork');
    await expectIgnored('pull_request', pullRequestEvent({ ...fork, action: 'closed', merged: false }), 'fork');
  });

  it("ignores 'Closes #N' in a pull request from a fork", async () => {
    await expectIgnored(
      'pull_request',
      pullRequestEvent({ repo, branch: 'patch-1', prNumber: 667, action: 'opened', body: 'Closes #12', headRepo: 'mallory/payments' }),
      'fork',
    );
  });

  it('ignores a pull request whose fork was deleted', async () => {
    await expectIgnored('pull_request', pullRequestEvent({ repo, branch, prNumber: 668, action: 'closed', headRepo: null }), 'fork');
  });

  it('ignores a pull request and a branch in a repository that is not configured', async () => {
    await expectIgnored(
      'pull_request',
      pullRequestEvent({ repo: 'mallory/payments', branch, prNumber: 669, action: 'opened' }),
      'repo_not_configured',
    );
    await expectIgnored('create', createBranchEvent({ repo: 'mallory/payments', branch }), 'repo_not_configured');
  });

  it('ignores a pull request linking anywhere but https://github.com', async () => {
    const payload = pullRequestEvent({ repo, branch, prNumber: 670, action: 'opened' });
    payload.pull_request.html_url = 'http://github.com/acme/payments/pull/670';
    await expectIgnored('pull_request', payload, 'foreign_url');
    payload.pull_request.html_url = 'https://evil.example/acme/payments/pull/670';
    await expectIgnored('pull_request', payload, 'foreign_url');
  });

  it('still queues a pull request from a branch of the repository itself', async () => {
    const res = await deliver('pull_request', pullRequestEvent({ repo, branch, prNumber: 7, action: 'opened' }));
    expect(res.statusCode).toBe(202);
    // No task has that branch here.
    expect(res.json()).toEqual({ status: 'queued', matched: 0 });
  });
});
