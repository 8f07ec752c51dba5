import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { jobId, QUEUES, webhookJobId } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { testEnv } from '@taskflow/testing';
import { PipelineQueue } from './pipeline.queue';

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
    expect(jobs[0]!.opts).toMatchObject({ attempts: 3, backoff: { type: 'exponential', delay: 500 } });
    expect(jobs[0]!.data).toEqual({ taskId });
    await analysis.close();
  });

  it('routes dispatch and webhook jobs to their queues under ids without ":"', async () => {
    await queue.enqueueDispatch(taskId, 3);
    await queue.enqueueWebhook({ deliveryId: 'a:b/c', kind: 'branch_created', repo: 'acme/web', branch: 'taskflow/x' });
    const github = new Queue(QUEUES.github, { connection: redis, prefix });
    const webhooks = new Queue(QUEUES.webhooks, { connection: redis, prefix });
    expect(await github.getJob(jobId('dispatch', taskId, 3))).toBeDefined();
    const hook = await webhooks.getJob(webhookJobId('a:b/c'));
    expect(hook?.id).not.toContain(':');
    expect(hook?.data).toMatchObject({ kind: 'branch_created', branch: 'taskflow/x' });
    await Promise.all([github.close(), webhooks.close()]);
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
