import { ErrorCode, Queue, type Job, type JobsOptions } from 'bullmq';
import {
  dispatchJobId,
  JOB_QUEUE,
  jobId,
  JOBS,
  QUEUES,
  webhookJobId,
  type JobData,
  type JobName,
  type QueueName,
  type WebhookJobData,
} from '@taskflow/events';
import { activeTraceParent, AppError, withDeadline, type Logger, type RedisSettings } from '@taskflow/platform';
import { createRedisClient, queueKeyPrefix, type RedisClient } from './redis-client';
import { CAPPED_BACKOFF, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy';

/**
 * Finished jobs are kept for inspection and replay: completed ones briefly, parked
 * (failed) ones for a week, so an operator can still replay them after a weekend.
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: DEFAULT_RETRY_POLICY.attempts,
  backoff: { type: CAPPED_BACKOFF, delay: DEFAULT_RETRY_POLICY.backoffMs },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

const ADD_TIMEOUT_MS = 3000;
/**
 * The holder of KEYS[1], or (nil) after setting it to ARGV[1] for ARGV[2] ms: `SET … NX GET` in one step, which
 * Redis accepts only from 7.0; a script is as atomic and runs on 6.2 too.
 */
const CLAIM_SCRIPT = `local earlier = redis.call('GET', KEYS[1])
if earlier then return earlier end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

/** What became of an enqueue: a new (or replayed) job, one already waiting/running, or one already finished. */
export type EnqueueOutcome = 'queued' | 'pending' | 'done';
type FinishedState = 'failed' | 'completed';

/** Job states counted on /metrics. */
export const COUNTED_JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;
export type JobCounts = Record<QueueName, Record<(typeof COUNTED_JOB_STATES)[number], number>>;

/**
 * The producer side of the pipeline, used by API nodes and by workers (for the
 * next step). Its Redis connection fails fast (no offline queue) so an HTTP
 * request answers 503 instead of hanging while Redis is down.
 */
export class PipelineQueue {
  private readonly queues: Map<QueueName, Queue>;

  /** `prefix`: QUEUE_PREFIX (hash-tagged for BullMQ's keys on Redis Cluster: queueKeyPrefix). */
  constructor(
    private readonly connection: RedisClient,
    private readonly prefix: string,
    retry: Partial<Pick<RetryPolicy, 'attempts' | 'backoffMs'>> = {},
  ) {
    const defaultJobOptions: JobsOptions = {
      ...DEFAULT_JOB_OPTIONS,
      ...(retry.attempts ? { attempts: retry.attempts } : {}),
      ...(retry.backoffMs !== undefined ? { backoff: { type: CAPPED_BACKOFF, delay: retry.backoffMs } } : {}),
    };
    const keyPrefix = queueKeyPrefix(connection, prefix);
    this.queues = new Map(
      Object.values(QUEUES).map((name) => [name, new Queue(name, { connection, prefix: keyPrefix, defaultJobOptions })]),
    );
  }

  /** `redis`: the configuration's `redis` (one server or a cluster), or one server's URL. */
  static connect(
    redis: string | RedisSettings,
    prefix: string,
    logger: Logger,
    retry: Partial<Pick<RetryPolicy, 'attempts' | 'backoffMs'>> = {},
  ): PipelineQueue {
    const settings: RedisSettings = typeof redis === 'string' ? { mode: 'single', url: redis } : redis;
    const connection = createRedisClient(settings, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
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

  /**
   * A parked (failed) job with the same id is replayed, so it never blocks new work.
   * `replaceCompleted` also re-runs a completed one: the reconciler uses it for a task
   * that is still stuck although its job finished (processors are idempotent).
   */
  async enqueueAnalysis(taskId: string, seq: number, opts: { replaceCompleted?: boolean } = {}): Promise<EnqueueOutcome> {
    return this.add(
      JOBS.analyze,
      { taskId },
      jobId(JOBS.analyze, taskId, seq),
      opts.replaceCompleted ? ['failed', 'completed'] : ['failed'],
    );
  }

  /**
   * One dispatch job per attempt (`retryCount`): while it waits or backs off, enqueuing
   * again is a no-op. `replaceCompleted`: a fresh analysis was saved, so a finished run
   * of this attempt's job (one that found no analysis) must run again.
   */
  async enqueueDispatch(taskId: string, attempt: number, opts: { replaceCompleted?: boolean } = {}): Promise<EnqueueOutcome> {
    return this.add(
      JOBS.dispatch,
      { taskId },
      dispatchJobId(taskId, attempt),
      opts.replaceCompleted ? ['failed', 'completed'] : ['failed'],
    );
  }

  /**
   * One job per delivery id: 'pending' while it waits, runs or backs off, 'done' once
   * it completed; a parked (failed) one is replayed, so GitHub's Redeliver applies it.
   */
  async enqueueWebhook(data: WebhookJobData): Promise<EnqueueOutcome> {
    return this.add(JOBS.applyWebhook, data, webhookJobId(data.deliveryId), ['failed']);
  }

  /**
   * Claims a signed webhook body (by its hash) for `deliveryId` for `windowMs`, and returns the id that holds it: this
   * one, or the earlier delivery that carried the same bytes. GitHub's signature does not cover the delivery id, so a
   * captured delivery could be replayed under a fresh id; GitHub's own Redeliver keeps the id, and passes.
   */
  async claimWebhookBody(bodyHash: string, deliveryId: string, windowMs: number): Promise<string> {
    const earlier = await withDeadline(
      this.connection.eval(CLAIM_SCRIPT, 1, `${this.prefix}:webhook-body:${bodyHash}`, deliveryId, windowMs) as Promise<string | null>,
      ADD_TIMEOUT_MS,
      'webhook body claim timed out',
    );
    return earlier ?? deliveryId;
  }

  /** Where the job with this id is: waiting, delayed or running ('pending'), finished, or absent. */
  async jobState(name: JobName, id: string): Promise<'pending' | FinishedState | 'absent'> {
    const job = await this.queueFor(name).getJob(id);
    const state = job ? await job.getState() : 'unknown';
    if (state === 'unknown') return 'absent';
    return state === 'failed' || state === 'completed' ? state : 'pending';
  }

  /** Jobs per queue and state, for /metrics (bounded: Redis may be unreachable). */
  async counts(): Promise<JobCounts> {
    const entries = await withDeadline(
      Promise.all([...this.queues].map(async ([name, q]) => [name, await q.getJobCounts(...COUNTED_JOB_STATES)] as const)),
      ADD_TIMEOUT_MS,
      'job counts timed out',
    );
    return Object.fromEntries(entries) as JobCounts;
  }

  private queueFor(name: JobName): Queue {
    return this.queues.get(JOB_QUEUE[name])!;
  }

  private async add<J extends JobName>(name: J, data: JobData[J], id: string, replace: readonly FinishedState[]): Promise<EnqueueOutcome> {
    const queue = this.queueFor(name);
    // The job's span continues the trace of whatever queued it (a webhook request, a transition); nothing while off.
    const traceparent = activeTraceParent();
    if (traceparent) data = { ...data, traceparent };
    // BullMQ waits for the connection to become ready, however long that takes: bound it.
    return withDeadline(this.addOrReplay(queue, name, data, id, replace), ADD_TIMEOUT_MS, `enqueue ${name} timed out`);
  }

  private async addOrReplay(
    queue: Queue,
    name: JobName,
    data: unknown,
    id: string,
    replace: readonly FinishedState[],
  ): Promise<EnqueueOutcome> {
    const existing = await queue.getJob(id);
    if (existing) {
      const state = await existing.getState();
      if (state === 'failed' || state === 'completed') {
        if (!replace.includes(state)) return 'done';
        const replayed = await replay(existing, state);
        if (replayed !== 'gone') return replayed === 'replayed' ? 'queued' : 'pending';
      } else if (state !== 'unknown') {
        return 'pending';
      }
      // Removed meanwhile (age limit): add it afresh below.
    }
    // Adding an id that exists is a no-op in BullMQ, so two producers racing here still make one job.
    await queue.add(name, data, { jobId: id });
    return 'queued';
  }

  async close(): Promise<void> {
    // A queue that never connected would wait forever to close.
    await withDeadline(Promise.all([...this.queues.values()].map((q) => q.close())), ADD_TIMEOUT_MS, 'queue close timed out').catch(
      () => undefined,
    );
    this.connection.disconnect();
  }
}

/**
 * Moves a finished job back to waiting with a fresh set of attempts, atomically
 * (BullMQ checks it is still in `state`): 'moved' when someone else replayed it
 * first, 'gone' when it was removed meanwhile.
 */
export async function replay(job: Job, state: FinishedState): Promise<'replayed' | 'moved' | 'gone'> {
  try {
    await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
    return 'replayed';
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === ErrorCode.JobNotExist) return 'gone';
    if (code === ErrorCode.JobNotInState || code === ErrorCode.JobLockNotExist) return 'moved';
    throw err;
  }
}
