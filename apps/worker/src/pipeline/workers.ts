import { Worker, type Job } from 'bullmq';
import { QUEUES, type JobData, type JobName } from '@taskflow/events';
import { SpanKind, withSpan } from '@taskflow/platform';
import { cappedBackoffStrategy, queueKeyPrefix, type RedisClient } from '@taskflow/queue';
import type { PipelineContext } from './context';
import { failTask } from './fail-task';
import { PROCESSORS } from './processors';

export interface WorkerOptions {
  /** QUEUE_PREFIX (hash-tagged on Redis Cluster, as the producers' queues are). */
  prefix: string;
  concurrency: number;
  stalledIntervalMs: number;
  lockDurationMs: number;
  /** Worker deaths a job survives before BullMQ parks it. */
  maxStalledCount: number;
  /** Longest delay between two attempts (the first comes from the job; it doubles up to this). */
  backoffMaxMs: number;
}

/**
 * One BullMQ worker per queue, each routing jobs by name through PROCESSORS.
 * A job whose worker dies is taken up again by BullMQ's stalled-job check.
 */
export function startWorkers(connection: RedisClient, ctx: PipelineContext, opts: WorkerOptions): Worker[] {
  return Object.values(QUEUES).map((queueName) => {
    const worker = new Worker(
      queueName,
      async (job: Job<JobData[JobName]>) => {
        const processor = PROCESSORS[job.name as JobName] as (j: typeof job, c: PipelineContext, l: typeof ctx.logger) => Promise<string>;
        if (!processor) throw new Error(`no processor for job ${job.name}`);
        const log = ctx.logger.child({ jobId: job.id, job: job.name, ...('taskId' in job.data ? { taskId: job.data.taskId } : {}) });
        // Continues the trace of what queued it (tracing on); a job queued without one starts its own.
        return withSpan(
          `job ${job.name}`,
          {
            parent: job.data.traceparent ?? null,
            kind: SpanKind.CONSUMER,
            attributes: {
              'messaging.system': 'bullmq',
              'messaging.destination.name': queueName,
              'job.id': job.id ?? '',
              'job.attempt': job.attemptsMade + 1,
            },
          },
          async (span) => {
            const outcome = await processor(job, ctx, log);
            span.setAttribute('job.outcome', outcome);
            log.debug({ outcome }, 'job done');
            return outcome;
          },
        );
      },
      {
        connection,
        prefix: queueKeyPrefix(connection, opts.prefix),
        // Deliveries are applied one at a time per worker, in arrival order, so a "branch created" is not overtaken
        // by the "PR opened" right behind it (which would skip `coding`). Order is still not promised across
        // workers; the plan tolerates any order.
        concurrency: queueName === QUEUES.webhooks ? 1 : opts.concurrency,
        stalledInterval: opts.stalledIntervalMs,
        lockDuration: opts.lockDurationMs,
        maxStalledCount: opts.maxStalledCount,
        settings: { backoffStrategy: cappedBackoffStrategy(opts.backoffMaxMs) },
      },
    );
    worker.on('error', (err) => ctx.logger.warn({ err: err.message, queue: queueName }, 'worker error'));
    worker.on('failed', (job, err) => {
      if (!job) return;
      const log = ctx.logger.child({ jobId: job.id, job: job.name });
      // Only a job BullMQ moved to the failed set (parked) is final; one waiting for its next attempt is not.
      const final = Boolean(job.finishedOn);
      log.warn({ err: err.message, attempt: job.attemptsMade, final }, final ? 'job parked: attempts exhausted' : 'job failed; will retry');
      if (final) void failTask(job, err, ctx).catch((e: unknown) => log.error({ err: e }, 'could not mark the task failed'));
    });
    return worker;
  });
}
