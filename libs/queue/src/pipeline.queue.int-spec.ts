import { randomBytes } from 'node:crypto';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { dispatchJobId, jobId, QUEUES, webhookJobId } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { eventually, testEnv } from '@taskflow/testing';
import { PipelineQueue } from './pipeline.queue';
import { CAPPED_BACKOFF, cappedBackoffStrategy } from './retry-policy';

const logger = pino({ level: 'silent' });
const taskId = '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';

async function ready(q: PipelineQueue) {
  for (let i = 0; i < 100 && !q.ready; i++) await new Promise((r) => setTimeout(r, 20));
  expect(q.ready).toBe(true);
}

describe('PipelineQueue', () => {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  let queue: PipelineQueue;
  let redis: Redis;
  beforeAll(async () => {
    queue = PipelineQueue.connect(testEnv('TEST_REDIS_URL'), prefix, logger, { attempts: 3, backoffMs: 500 });
    redis = new Redis(testEnv('TEST_REDIS_URL'));
    await ready(queue);
  });
  afterAll(async () => {
    await queue.close();
    redis.disconnect();
  });

  it('enqueues one job per (step, task, seq), with the retry policy', async () => {
    await queue.enqueueAnalysis(taskId, 1);
    await queue.enqueueAnalysis(taskId, 1);
    await queue.enqueueAnalysis(taskId, 2);
    const analysis = new Queue(QUEUES.analysis, { connection: redis, prefix });
    const jobs = await analysis.getJobs(['waiting']);
    expect(jobs.map((j) => j.id).sort()).toEqual([jobId('analyze', taskId, 1), jobId('analyze', taskId, 2)]);
    expect(jobs[0]!.opts).toMatchObject({ attempts: 3, backoff: { type: CAPPED_BACKOFF, delay: 500 } });
    expect(jobs[0]!.data).toEqual({ taskId });
    await analysis.close();
  });

  it('routes dispatch and webhook jobs to their queues under ids without ":"', async () => {
    await queue.enqueueDispatch(taskId, 3);
    await queue.enqueueWebhook({ deliveryId: 'a:b/c', kind: 'branch_created', repo: 'acme/web', branch: 'taskflow/x' });
    const github = new Queue(QUEUES.github, { connection: redis, prefix });
    const webhooks = new Queue(QUEUES.webhooks, { connection: redis, prefix });
    expect(await github.getJob(dispatchJobId(taskId, 3))).toBeDefined();
    const hook = await webhooks.getJob(webhookJobId('a:b/c'));
    expect(hook?.id).not.toContain(':');
    expect(hook?.data).toMatchObject({ kind: 'branch_created', branch: 'taskflow/x' });
    await Promise.all([github.close(), webhooks.close()]);
  });

  /** Runs one queue's jobs through `fn` until `until` holds. */
  async function runJobs(queueName: string, fn: (attempt: number) => void, until: () => Promise<boolean>, backoffMaxMs = 60_000) {
    const connection = redis.duplicate({ maxRetriesPerRequest: null });
    const worker = new Worker(queueName, async (job) => fn(job.attemptsMade), {
      connection,
      prefix,
      settings: { backoffStrategy: cappedBackoffStrategy(backoffMaxMs) },
    });
    try {
      for (let i = 0; i < 200 && !(await until()); i++) await new Promise((r) => setTimeout(r, 50));
      expect(await until()).toBe(true);
    } finally {
      await worker.close();
      connection.disconnect();
    }
  }

  it('retries with the capped backoff of the worker, then parks the job in the failed set', async () => {
    const capped = PipelineQueue.connect(testEnv('TEST_REDIS_URL'), prefix, logger, { attempts: 4, backoffMs: 100 });
    await ready(capped);
    const id = '9a2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
    const analysis = new Queue(QUEUES.analysis, { connection: redis, prefix });
    try {
      await analysis.drain();
      await capped.enqueueAnalysis(id, 1);
      const startedAt: number[] = [];
      await runJobs(
        QUEUES.analysis,
        () => {
          startedAt.push(Date.now());
          throw new Error('database unreachable');
        },
        async () => (await capped.jobState('analyze', jobId('analyze', id, 1))) === 'failed',
        250,
      );
      expect(startedAt).toHaveLength(4);
      const gaps = startedAt.slice(1).map((t, i) => t - startedAt[i]!);
      // 100, 200, then 400 capped at 250 (BullMQ promotes delayed jobs on time, give or take its polling).
      expect(gaps[0]).toBeGreaterThanOrEqual(95);
      expect(gaps[1]).toBeGreaterThanOrEqual(195);
      expect(gaps[2]).toBeGreaterThanOrEqual(245);
      expect(gaps[2]).toBeLessThan(390);
    } finally {
      await analysis.close();
      await capped.close();
    }
  });

  it('replays a parked job on the next enqueue with the same id, with a fresh set of attempts', async () => {
    const id = '7c2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
    const github = new Queue(QUEUES.github, { connection: redis, prefix });
    try {
      expect(await queue.enqueueDispatch(id, 5)).toBe('queued');
      await runJobs(
        QUEUES.github,
        () => {
          throw new UnrecoverableError('GitHub said no');
        },
        async () => (await queue.jobState('dispatch', dispatchJobId(id, 5))) === 'failed',
      );
      expect(await queue.enqueueDispatch(id, 5)).toBe('queued');
      const job = await github.getJob(dispatchJobId(id, 5));
      expect(await job!.getState()).toBe('waiting');
      expect(job!.attemptsMade).toBe(0);
      // While it waits, enqueuing again changes nothing.
      expect(await queue.enqueueDispatch(id, 5)).toBe('pending');
      expect((await github.getJobs(['waiting', 'delayed', 'failed'])).filter((j) => j.id === job!.id)).toHaveLength(1);
    } finally {
      await github.close();
    }
  });

  it('answers done for a completed webhook job, and the reconciler may replay a completed analysis', async () => {
    const deliveryId = 'delivery-done-1';
    expect(await queue.enqueueWebhook({ deliveryId, kind: 'branch_created', repo: 'acme/web', branch: 'taskflow/y' })).toBe('queued');
    await runJobs(
      QUEUES.webhooks,
      () => undefined,
      async () => (await queue.jobState('apply-webhook', webhookJobId(deliveryId))) === 'completed',
    );
    expect(await queue.enqueueWebhook({ deliveryId, kind: 'branch_created', repo: 'acme/web', branch: 'taskflow/y' })).toBe('done');

    const id = '5d2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
    await queue.enqueueAnalysis(id, 2);
    await runJobs(
      QUEUES.analysis,
      () => undefined,
      async () => (await queue.jobState('analyze', jobId('analyze', id, 2))) === 'completed',
    );
    expect(await queue.enqueueAnalysis(id, 2)).toBe('done');
    expect(await queue.enqueueAnalysis(id, 2, { replaceCompleted: true })).toBe('queued');
    expect(await queue.jobState('analyze', jobId('analyze', id, 2))).toBe('pending');
  });

  it('counts jobs per queue and state', async () => {
    const counts = await queue.counts();
    expect(Object.keys(counts).sort()).toEqual(Object.values(QUEUES).sort());
    expect(counts[QUEUES.analysis]).toMatchObject({ waiting: expect.any(Number), failed: expect.any(Number), active: 0 });
    expect(counts[QUEUES.analysis].failed).toBeGreaterThanOrEqual(1);
  });

  it('claims a webhook body for one delivery per window, with commands Redis 6.2 has too', async () => {
    const bodyHash = randomBytes(16).toString('hex');
    const key = `${prefix}:webhook-body:${bodyHash}`;
    // What reaches Redis for this key (script commands included): `SET … GET` is a syntax error before Redis 7.0.
    const monitor = await redis.monitor();
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => void (args.includes(key) && seen.push(args)));
    try {
      expect(await queue.claimWebhookBody(bodyHash, 'd1', 300)).toBe('d1');
      expect(await queue.claimWebhookBody(bodyHash, 'd2', 300)).toBe('d1');
      expect(await redis.pttl(key)).toBeGreaterThan(0);
      await eventually('the claim to expire', async () =>
        (await queue.claimWebhookBody(bodyHash, 'd3', 300)) === 'd3' ? true : undefined,
      );
      await eventually('the claims on the monitor', async () =>
        seen.filter((a) => a[0]!.toLowerCase() === 'set').length >= 2 ? true : undefined,
      );
      const sets = seen.filter((a) => a[0]!.toLowerCase() === 'set');
      expect(sets.filter((a) => a.slice(3).some((arg) => arg.toUpperCase() === 'GET'))).toEqual([]);
    } finally {
      monitor.disconnect();
    }
  });

  it('answers 503 instead of hanging while Redis is unreachable', async () => {
    const down = PipelineQueue.connect('redis://127.0.0.1:1', prefix, logger);
    try {
      expect(down.ready).toBe(false);
      expect(() => down.assertReady()).toThrow(AppError);
      try {
        down.assertReady();
      } catch (err) {
        expect(err).toMatchObject({ statusCode: 503, code: 'UNAVAILABLE' });
      }
      const started = Date.now();
      await expect(down.enqueueAnalysis(taskId, 1)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await down.close();
    }
  });
});
