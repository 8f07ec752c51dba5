import { Queue, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { JOB_QUEUE, jobId, JOBS, QUEUES, webhookJobId, type JobData, type JobName, type QueueName, type WebhookJobData } from '@taskflow/events';
import { AppError, type Logger } from '@taskflow/platform';

/** Retries with exponential backoff; finished jobs are kept briefly for inspection, then dropped. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 4,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 24 * 3600 },
};

const ADD_TIMEOUT_MS = 3000;

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export interface RetryPolicy {
  attempts?: number;
  backoffMs?: number;
}

/**
 * The producer side of the pipeline, used by API nodes and by workers (for the
 * next step). Its Redis connection fails fast (no offline queue) so an HTTP
 * request answers 503 instead of hanging while Redis is down.
 */
export class PipelineQueue {
  private readonly queues: Map<QueueName, Queue>;

  constructor(
    private readonly connection: Redis,
    prefix: string,
    retry: RetryPolicy = {},
  ) {
    const defaultJobOptions: JobsOptions = {
      ...DEFAULT_JOB_OPTIONS,
      ...(retry.attempts ? { attempts: retry.attempts } : {}),
      ...(retry.backoffMs !== undefined ? { backoff: { type: 'exponential', delay: retry.backoffMs } } : {}),
    };
    this.queues = new Map(Object.values(QUEUES).map((name) => [name, new Queue(name, { connection, prefix, defaultJobOptions })]));
  }

  static connect(url: string, prefix: string, logger: Logger, retry: RetryPolicy = {}): PipelineQueue {
    const connection = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    // Without a listener an unreachable Redis would crash the process.
    connection.on('error', (err) => logger.warn({ err: err.message }, 'queue redis error'));
    const queue = new PipelineQueue(connection, prefix, retry);
    for (const q of queue.queues.values()) q.on('error', (err) => logger.warn({ err: err.message, queue: q.name }, 'queue error'));
    return queue;
  }

  get ready(): boolean {
    return this.connection.status === 'ready';
  }

  /** Throws 503 before any write when Redis is unreachable, so nothing is committed that cannot be enqueued. */
  assertReady(): void {
    if (!this.ready) throw AppError.unavailable('The task queue is unavailable; try again in a moment');
  }

  async enqueueAnalysis(taskId: string, seq: number): Promise<void> {
    await this.add(JOBS.analyze, { taskId }, jobId(JOBS.analyze, taskId, seq));
  }

  async enqueueDispatch(taskId: string, seq: number): Promise<void> {
    await this.add(JOBS.dispatch, { taskId }, jobId(JOBS.dispatch, taskId, seq));
  }

  async enqueueWebhook(data: WebhookJobData): Promise<void> {
    await this.add(JOBS.applyWebhook, data, webhookJobId(data.deliveryId));
  }

  private async add<J extends JobName>(name: J, data: JobData[J], id: string): Promise<void> {
    const queue = this.queues.get(JOB_QUEUE[name])!;
    // BullMQ waits for the connection to become ready, however long that takes: bound it.
    await withTimeout(queue.add(name, data, { jobId: id }), ADD_TIMEOUT_MS, `enqueue ${name} timed out`);
  }

  async close(): Promise<void> {
    // A queue that never connected would wait forever to close.
    await withTimeout(Promise.all([...this.queues.values()].map((q) => q.close())), ADD_TIMEOUT_MS, 'queue close timed out').catch(
      () => undefined,
    );
    this.connection.disconnect();
  }
}
