import { Worker, type Job } from 'bullmq';
import { QUEUES, type JobData, type JobName, type QueueName } from '@taskflow/events';
import { SpanKind, withSpan } from '@taskflow/platform';
import { cappedBackoffStrategy, queueKeyPrefix, type RedisClient } from '@taskflow/queue';
import type { PipelineContext } from './context';
import { failTask } from './fail-task';
import { PROCESSORS } from './processors';
import type { WatchedConsumer } from './worker-watchdog';

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

/** How long a replaced worker may take to finish its running jobs and close before it is let go unclosed. */
const RETIRE_GRACE_MS = 30_000;

/**
 * The consumer of one queue: a BullMQ worker routing jobs by name through PROCESSORS, which the watchdog can swap for
 * a new one (`replace`). A job whose worker dies is taken up again by BullMQ's stalled-job check.
 */
export class QueueConsumer implements WatchedConsumer {
  started = 0;
  running = 0;
  readonly concurrency: number;
  private worker: Worker;
  /** Replaced workers still closing: `close()` waits for them too. */
  private readonly retiring = new Set<Promise<void>>();

  constructor(
    readonly queue: QueueName,
    private readonly connection: RedisClient,
    private readonly ctx: PipelineContext,
    private readonly opts: WorkerOptions,
  ) {
    // Deliveries are applied one at a time per worker, in arrival order, so a "branch created" is not overtaken by the
    // "PR opened" right behind it (which would skip `coding`). Order is still not promised across workers; the plan
    // tolerates any order.
    this.concurrency = queue === QUEUES.webhooks ? 1 : opts.concurrency;
    this.worker = this.createWorker();
  }

  /** The BullMQ worker taking this queue's jobs now. */
  get current(): Worker {
    return this.worker;
  }

  /** Resolves once the current worker is connected and taking jobs. */
  waitUntilReady(): Promise<unknown> {
    return this.worker.waitUntilReady();
  }

  replace(reason: string): void {
    const old = this.worker;
    this.worker = this.createWorker();
    // Its running jobs finish and are recorded; a close that hangs on the stuck connection is not waited for.
    const retired = Promise.race([
      old.close().catch((err: unknown) => this.ctx.logger.warn({ err, queue: this.queue }, 'replaced worker did not close cleanly')),
      new Promise<void>((resolve) => setTimeout(resolve, RETIRE_GRACE_MS).unref()),
    ]).then(() => undefined);
    this.retiring.add(retired);
    void retired.finally(() => this.retiring.delete(retired));
    this.ctx.logger.info({ queue: this.queue, reason }, 'worker replaced');
  }

  /** Lets running jobs finish; a job cut short later is retried by another worker. */
  async close(): Promise<void> {
    await Promise.all([this.worker.close(), ...this.retiring]);
  }

  private createWorker(): Worker {
    const { ctx, opts, queue } = this;
    const worker = new Worker(queue, (job: Job<JobData[JobName]>) => this.process(job), {
      connection: this.connection,
      prefix: queueKeyPrefix(this.connection, opts.prefix),
      concurrency: this.concurrency,
      stalledInterval: opts.stalledIntervalMs,
      lockDuration: opts.lockDurationMs,
      maxStalledCount: opts.maxStalledCount,
      settings: { backoffStrategy: cappedBackoffStrategy(opts.backoffMaxMs) },
    });
    worker.on('error', (err) => ctx.logger.warn({ err: err.message, queue }, 'worker error'));
    worker.on('failed', (job, err) => {
      if (!job) return;
      const log = ctx.logger.child({ jobId: job.id, job: job.name });
      // Only a job BullMQ moved to the failed set (parked) is final; one waiting for its next attempt is not.
      const final = Boolean(job.finishedOn);
      log.warn({ err: err.message, attempt: job.attemptsMade, final }, final ? 'job parked: attempts exhausted' : 'job failed; will retry');
      if (final) void failTask(job, err, ctx).catch((e: unknown) => log.error({ err: e }, 'could not mark the task failed'));
    });
    return worker;
  }

  private async process(job: Job<JobData[JobName]>): Promise<string> {
    const { ctx, queue } = this;
    this.started += 1;
    this.running += 1;
    try {
      const processor = PROCESSORS[job.name as JobName] as (j: typeof job, c: PipelineContext, l: typeof ctx.logger) => Promise<string>;
      if (!processor) throw new Error(`no processor for job ${job.name}`);
      const log = ctx.logger.child({ jobId: job.id, job: job.name, ...('taskId' in job.data ? { taskId: job.data.taskId } : {}) });
      // Continues the trace of what queued it (tracing on); a job queued without one starts its own.
      return await withSpan(
        `job ${job.name}`,
        {
          parent: job.data.traceparent ?? null,
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'bullmq',
            'messaging.destination.name': queue,
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
    } finally {
      this.running -= 1;
    }
  }
}

/** One consumer per queue. */
export function startWorkers(connection: RedisClient, ctx: PipelineContext, opts: WorkerOptions): QueueConsumer[] {
  return Object.values(QUEUES).map((queue) => new QueueConsumer(queue, connection, ctx, opts));
}
