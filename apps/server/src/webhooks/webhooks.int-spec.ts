import { createHash, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { QUEUES, taskBranch, webhookJobId, type WebhookJobData } from '@taskflow/events';
import { createBranchEvent, issueCommentEvent, pullRequestEvent, signPayload } from '@taskflow/github-sim';
import { transition } from '@taskflow/store';
import { testEnv } from '@taskflow/testing';
import { startTestApp, TEST_WEBHOOK_SECRET, type TestApp } from '../testing/test-app';

let t: TestApp;
let app: FastifyInstance;
let redis: Redis;
/** Read side of the webhooks queue the API produces into (no worker consumes it in these tests). */
let hooks: Queue<WebhookJobData>;
const repo = 'acme/payments';
/** The branch of a dispatched task, as the coding agent would push it. */
let branch: string;

beforeAll(async () => {
  t = await startTestApp();
  app = t.app;
  await app.ready();
  redis = new Redis(testEnv('TEST_REDIS_URL'));
  hooks = new Queue<WebhookJobData>(QUEUES.webhooks, { connection: redis, prefix: t.prefix });

  const { task } = await t.f.newTask(t.f.users.alice, { repo });
  branch = taskBranch(task.id);
  await transition(t.f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
  await transition(t.f.db, {
    taskId: task.id,
    from: 'analyzing',
    to: 'dispatched',
    event: 'dispatched',
    patch: {
      githubIssueNumber: 12,
      githubIssueUrl: `https://github.com/${repo}/issues/12`,
      githubBranch: branch,
      dispatchedAt: new Date(),
    },
  });
});
afterAll(async () => {
  await hooks.close();
  await redis.quit();
  await t.close();
});

interface Delivery {
  event: string;
  body: string;
  deliveryId?: string;
  /** The X-Hub-Signature-256 value; by default the right one for `body`; null leaves the header out. */
  signature?: string | null;
}

function deliver({ event, body, deliveryId = randomUUID(), signature }: Delivery) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': deliveryId,
    'user-agent': 'GitHub-Hookshot/test',
  };
  const sig = signature === undefined ? signPayload(TEST_WEBHOOK_SECRET, body) : signature;
  if (sig !== null) headers['x-hub-signature-256'] = sig;
  return app.inject({ method: 'POST', url: '/api/webhooks/github', headers, payload: body });
}

async function deliveryRows(deliveryId: string) {
  return t.f.db.selectFrom('webhookDeliveries').selectAll().where('deliveryId', '=', deliveryId).execute();
}

const ALL_STATES = ['wait', 'delayed', 'prioritized', 'active', 'completed', 'failed'] as const;
async function jobsFor(deliveryId: string) {
  return (await hooks.getJobs([...ALL_STATES])).filter((job) => job.data.deliveryId === deliveryId);
}

describe('POST /api/webhooks/github with a good signature', () => {
  it('queues a branch creation as a normalised job, recording the delivery only once a worker applies it', async () => {
    const deliveryId = randomUUID();
    const res = await deliver({ event: 'create', body: JSON.stringify(createBranchEvent({ repo, branch })), deliveryId });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'queued', matched: 1 });

    const job = await hooks.getJob(webhookJobId(deliveryId));
    expect(job?.name).toBe('apply-webhook');
    expect(job?.data).toEqual({ deliveryId, kind: 'branch_created', repo, branch, receivedAt: expect.any(String) });
    // Seen while its job is pending; recorded (by the worker, in the transition's transaction) once applied.
    expect(await deliveryRows(deliveryId)).toEqual([]);
  });

  it('queues an opened pull request with its number, URL, title and issue references', async () => {
    const deliveryId = randomUUID();
    const payload = pullRequestEvent({ repo, branch, prNumber: 7, action: 'opened', title: 'Fix 3DS redirect', body: 'Fixes #12.' });
    const before = Date.now();
    const res = await deliver({ event: 'pull_request', body: JSON.stringify(payload), deliveryId });
    const after = Date.now();
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'queued', matched: 1 });
    const data = (await hooks.getJob(webhookJobId(deliveryId)))?.data;
    // When the API received it travels with the job, for the webhook → screen histogram.
    const receivedAt = Date.parse(data?.receivedAt ?? '');
    expect(receivedAt).toBeGreaterThanOrEqual(before);
    expect(receivedAt).toBeLessThanOrEqual(after);
    expect(data).toEqual({
      receivedAt: data?.receivedAt,
      deliveryId,
      kind: 'pull_request',
      action: 'opened',
      repo,
      headRepo: repo,
      branch,
      issueRefs: [12],
      prNumber: 7,
      prUrl: `https://github.com/${repo}/pull/7`,
      prTitle: 'Fix 3DS redirect',
      merged: false,
      mergeCommitSha: null,
      mergedAt: null,
      draft: false,
      sender: 'Codertocat',
    });
  });

  it('queues a merged pull request with its merge commit and time', async () => {
    const deliveryId = randomUUID();
    const sha = 'a'.repeat(40);
    const mergedAt = '2026-11-25T18:00:00Z';
    const payload = pullRequestEvent({ repo, branch, prNumber: 7, action: 'closed', merged: true, mergeCommitSha: sha, mergedAt });
    expect((await deliver({ event: 'pull_request', body: JSON.stringify(payload), deliveryId })).statusCode).toBe(202);
    expect((await hooks.getJob(webhookJobId(deliveryId)))?.data).toMatchObject({
      kind: 'pull_request',
      action: 'closed',
      branch,
      prNumber: 7,
      merged: true,
      mergeCommitSha: sha,
      mergedAt,
    });
  });

  it('queues a pull request closed without merge as not merged, dropping the provisional merge sha', async () => {
    const deliveryId = randomUUID();
    const payload = pullRequestEvent({ repo, branch, prNumber: 8, action: 'closed', merged: false, mergeCommitSha: 'b'.repeat(40) });
    expect((await deliver({ event: 'pull_request', body: JSON.stringify(payload), deliveryId })).statusCode).toBe(202);
    expect((await hooks.getJob(webhookJobId(deliveryId)))?.data).toMatchObject({
      action: 'closed',
      prNumber: 8,
      merged: false,
      mergeCommitSha: null,
      mergedAt: null,
    });
  });

  it('says how many tasks a delivery matches: none for a branch or issue of no task (a mistyped id), still queued', async () => {
    const unknown = taskBranch(randomUUID());
    const cases = [
      { event: 'create', payload: createBranchEvent({ repo, branch: unknown }), matched: 0 },
      { event: 'pull_request', payload: pullRequestEvent({ repo, branch: unknown, prNumber: 4242, action: 'opened' }), matched: 0 },
      { event: 'issue_comment', payload: issueCommentEvent({ repo, number: 4243, body: 'Anyone?' }), matched: 0 },
      { event: 'issue_comment', payload: issueCommentEvent({ repo, number: 12, body: 'On it.' }), matched: 1 },
    ];
    for (const c of cases) {
      const deliveryId = randomUUID();
      const res = await deliver({ event: c.event, body: JSON.stringify(c.payload), deliveryId });
      expect([c.event, res.statusCode, res.json()]).toEqual([c.event, 202, { status: 'queued', matched: c.matched }]);
      // The worker decides: a task may yet appear (its dispatch committing late).
      expect(await jobsFor(deliveryId)).toHaveLength(1);
    }
  });

  it('acknowledges a redelivery of the same delivery id as a duplicate, queueing one job only', async () => {
    const deliveryId = randomUUID();
    const body = JSON.stringify(pullRequestEvent({ repo, branch, prNumber: 9, action: 'opened' }));
    const jobsBefore = await hooks.count();

    const first = await deliver({ event: 'pull_request', body, deliveryId });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toEqual({ status: 'queued', matched: 1 });
    const second = await deliver({ event: 'pull_request', body, deliveryId });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual({ status: 'duplicate' });

    expect(await jobsFor(deliveryId)).toHaveLength(1);
    expect(await hooks.count()).toBe(jobsBefore + 1);
  });

  it('answers duplicate to the same signed body under a fresh delivery id (a replay), queueing nothing', async () => {
    const body = JSON.stringify(pullRequestEvent({ repo, branch, prNumber: 31, action: 'opened' }));
    const original = randomUUID();
    expect((await deliver({ event: 'pull_request', body, deliveryId: original })).statusCode).toBe(202);
    const replayId = randomUUID();
    const replay = await deliver({ event: 'pull_request', body, deliveryId: replayId });
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual({ status: 'duplicate' });
    expect(await jobsFor(replayId)).toEqual([]);
    expect(await jobsFor(original)).toHaveLength(1);
    // The body is remembered for the replay window (Redis TTL), then forgotten.
    const ttl = await redis.pttl(`${t.prefix}:webhook-body:${createHash('sha256').update(body).digest('hex')}`);
    expect(ttl).toBeGreaterThan(71 * 3_600_000);
    expect(ttl).toBeLessThanOrEqual(72 * 3_600_000);
    // GitHub's own Redeliver keeps the delivery id: not a replay (here the job is still pending: duplicate by id).
    expect((await deliver({ event: 'pull_request', body, deliveryId: original })).json()).toEqual({ status: 'duplicate' });
    expect(await jobsFor(original)).toHaveLength(1);
  });

  it('answers duplicate to a redelivery of an applied delivery, queueing nothing', async () => {
    const deliveryId = randomUUID();
    await t.f.db.insertInto('webhookDeliveries').values({ deliveryId, event: 'pull_request', outcome: 'applied', taskId: null }).execute();
    const res = await deliver({
      event: 'pull_request',
      body: JSON.stringify(pullRequestEvent({ repo, branch, prNumber: 9, action: 'opened' })),
      deliveryId,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'duplicate' });
    expect(await jobsFor(deliveryId)).toEqual([]);
  });

  it('replays the parked job of a delivery that failed for good when GitHub redelivers it', async () => {
    const deliveryId = randomUUID();
    // Bytes of its own: the first test's body under another delivery id would be a replay.
    const body = JSON.stringify(createBranchEvent({ repo, branch }), null, 1);
    expect((await deliver({ event: 'create', body, deliveryId })).statusCode).toBe(202);
    // Park it as a worker does after its last attempt.
    const job = (await hooks.getJob(webhookJobId(deliveryId)))!;
    await redis.zadd(`${t.prefix}:${QUEUES.webhooks}:failed`, Date.now(), job.id!);
    await redis.lrem(`${t.prefix}:${QUEUES.webhooks}:wait`, 0, job.id!);
    await redis.hset(`${t.prefix}:${QUEUES.webhooks}:${job.id}`, {
      atm: '12',
      finishedOn: String(Date.now()),
      failedReason: 'database unreachable',
    });
    expect(await job.getState()).toBe('failed');

    const res = await deliver({ event: 'create', body, deliveryId });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'queued', matched: 1 });
    const replayed = (await hooks.getJob(webhookJobId(deliveryId)))!;
    expect(await replayed.getState()).toBe('waiting');
    expect(replayed.attemptsMade).toBe(0);
    expect(await jobsFor(deliveryId)).toHaveLength(1);
  });

  it('counts queued and parked jobs per queue on /metrics', async () => {
    const text = await t.metricsText();
    const sample = (state: string) =>
      Number(new RegExp(`^taskflow_jobs\\{queue="${QUEUES.webhooks}",state="${state}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    expect(sample('waiting')).toBe(await hooks.getWaitingCount());
    expect(sample('failed')).toBe(await hooks.getFailedCount());
    expect(sample('waiting')).toBeGreaterThan(0);
  });

  it.each<[string, string, () => object, string]>([
    [
      'an event type we do not handle',
      'issues',
      () => ({ action: 'opened', issue: { number: 12 }, repository: { full_name: repo } }),
      'event issues',
    ],
    ['the creation of a tag', 'create', () => ({ ...createBranchEvent({ repo, branch: 'v1.2.0' }), ref_type: 'tag' }), 'ref_type tag'],
    [
      'a pull request action we do not follow',
      'pull_request',
      () => ({ ...pullRequestEvent({ repo, branch, prNumber: 7, action: 'opened' }), action: 'labeled' }),
      'action labeled',
    ],
  ])('answers 202 ignored for %s, queueing and recording nothing', async (_case, event, payload, reason) => {
    const deliveryId = randomUUID();
    const jobsBefore = await hooks.count();
    const res = await deliver({ event, body: JSON.stringify(payload()), deliveryId });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'ignored', reason });
    expect(await hooks.count()).toBe(jobsBefore);
    expect(await deliveryRows(deliveryId)).toEqual([]);
  });

  it('answers a ping with 200', async () => {
    const res = await deliver({ event: 'ping', body: JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'pong' });
  });

  it('answers 400 to a correctly signed body that is not JSON', async () => {
    const deliveryId = randomUUID();
    const res = await deliver({ event: 'pull_request', body: '{"action": "opened", ', deliveryId });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'BAD_REQUEST', message: 'Webhook body is not valid JSON' });
    expect(await deliveryRows(deliveryId)).toEqual([]);
  });

  it('answers 400 to a correctly signed payload of the wrong shape', async () => {
    const deliveryId = randomUUID();
    const res = await deliver({
      event: 'pull_request',
      body: JSON.stringify({ action: 'opened', repository: { full_name: repo } }),
      deliveryId,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'BAD_REQUEST', message: expect.stringContaining('pull_request payload') });
    expect(await deliveryRows(deliveryId)).toEqual([]);
    expect(await jobsFor(deliveryId)).toEqual([]);
  });

  it('answers 400 without a delivery id', async () => {
    const body = JSON.stringify(createBranchEvent({ repo, branch }));
    const res = await app.inject({
      method: 'POST',
      url: '/api/webhooks/github',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'create',
        'x-hub-signature-256': signPayload(TEST_WEBHOOK_SECRET, body),
      },
      payload: body,
    });
    expect(res.statusCode).toBe(400);
  });
});

describe('POST /api/webhooks/github with a bad or missing signature', () => {
  const body = () => JSON.stringify(createBranchEvent({ repo, branch }));

  async function expectRejected(delivery: Omit<Delivery, 'deliveryId'>, error: { error: string; message: string }) {
    const deliveryId = randomUUID();
    const jobsBefore = await hooks.count();
    const res = await deliver({ ...delivery, deliveryId });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual(error);
    expect(await deliveryRows(deliveryId)).toEqual([]);
    expect(await hooks.count()).toBe(jobsBefore);
  }

  const INVALID = { error: 'SIGNATURE_INVALID', message: 'Bad webhook signature' };

  it('answers 401 to a signature made with another secret', () =>
    expectRejected({ event: 'create', body: body(), signature: signPayload('another-secret-0123456789', body()) }, INVALID));

  it('answers 401 to a signature computed over a different body than the one sent', async () => {
    const signed = body();
    const sent = JSON.stringify(createBranchEvent({ repo, branch: 'taskflow/00000000-0000' }));
    await expectRejected({ event: 'create', body: sent, signature: signPayload(TEST_WEBHOOK_SECRET, signed) }, INVALID);
  });

  it('answers 401 to the right signature re-serialised differently (the exact bytes are signed)', async () => {
    const compact = body();
    const pretty = JSON.stringify(JSON.parse(compact), null, 2);
    await expectRejected({ event: 'create', body: pretty, signature: signPayload(TEST_WEBHOOK_SECRET, compact) }, INVALID);
  });

  it.each([
    ['a sha1 signature', () => `sha1=${signPayload(TEST_WEBHOOK_SECRET, body()).slice('sha256='.length, 'sha256='.length + 40)}`],
    ['the bare hex digest', () => signPayload(TEST_WEBHOOK_SECRET, body()).slice('sha256='.length)],
    ['a truncated digest', () => signPayload(TEST_WEBHOOK_SECRET, body()).slice(0, -2)],
    ['garbage', () => 'sha256=not-hex'],
  ])('answers 401 to %s', (_case, signature) => expectRejected({ event: 'create', body: body(), signature: signature() }, INVALID));

  it('answers 401 without a signature header', () =>
    expectRejected(
      { event: 'create', body: body(), signature: null },
      { error: 'SIGNATURE_MISSING', message: 'Missing X-Hub-Signature-256' },
    ));

  it('answers 401 to an unsigned ping', async () => {
    const res = await deliver({ event: 'ping', body: '{"zen":"x"}', signature: null });
    expect(res.statusCode).toBe(401);
  });
});
