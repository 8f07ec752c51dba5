import { Queue } from 'bullmq';
import { QUEUES, type QueueName } from '@taskflow/events';
import { replay } from './pipeline.queue';
import { queueKeyPrefix, type RedisClient } from './redis-client';

/** A job that used up its attempts and waits in the failed set for a replay. */
export interface ParkedJob {
  queue: QueueName;
  id: string;
  name: string;
  attemptsMade: number;
  failedReason: string;
  failedAt: string | null;
  data: unknown;
}

const PAGE = 200;

/** The operator's view of parked jobs: list them, replay them (each with a fresh set of attempts). */
export class ParkedJobs {
  private readonly queues: Queue[];

  /** `prefix`: QUEUE_PREFIX (hash-tagged here on Redis Cluster). */
  constructor(connection: RedisClient, prefix: string, only?: QueueName) {
    const names = only ? [only] : Object.values(QUEUES);
    this.queues = names.map((name) => new Queue(name, { connection, prefix: queueKeyPrefix(connection, prefix) }));
  }

  /** Parked jobs of each queue; at most `limit` of each when given. */
  async list(limit = Number.POSITIVE_INFINITY): Promise<ParkedJob[]> {
    const parked: ParkedJob[] = [];
    for (const q of this.queues) {
      for (let start = 0; start < limit; start += PAGE) {
        const jobs = await q.getFailed(start, Math.min(start + PAGE, limit) - 1);
        for (const job of jobs) {
          parked.push({
            queue: q.name as QueueName,
            id: job.id!,
            name: job.name,
            attemptsMade: job.attemptsMade,
            failedReason: job.failedReason,
            failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
            data: job.data,
          });
        }
        if (jobs.length < Math.min(PAGE, limit - start)) break;
      }
    }
    return parked;
  }

  /** Parked jobs per queue (the failed set's size). */
  async count(): Promise<Record<QueueName, number>> {
    const counts = await Promise.all(this.queues.map(async (q) => [q.name, await q.getFailedCount()] as const));
    return Object.fromEntries(counts) as Record<QueueName, number>;
  }

  /**
   * Replays one parked job: 'not_parked' when it exists but is not in the failed set (running, done, replayed).
   * `may` sees the job's data first: a job it refuses is 'gone', as if it did not exist.
   */
  async retry(
    queue: QueueName,
    id: string,
    may?: (data: unknown) => Promise<boolean>,
  ): Promise<'replayed' | 'moved' | 'gone' | 'not_parked'> {
    const job = await this.queues.find((q) => q.name === queue)?.getJob(id);
    if (!job || (may && !(await may(job.data)))) return 'gone';
    if ((await job.getState()) !== 'failed') return 'not_parked';
    return replay(job, 'failed');
  }

  /** Moves every job parked now (of one queue, or all) back to waiting; returns those replayed (one replayed meanwhile by someone else is skipped). */
  async retryAll(queue?: QueueName, may?: (jobs: ParkedJob[]) => Promise<ParkedJob[]>): Promise<Array<{ queue: QueueName; id: string }>> {
    const replayed: Array<{ queue: QueueName; id: string }> = [];
    // Listed first, then replayed: a replayed job that fails again at once is not picked up twice.
    const listed = (await this.list()).filter((parked) => !queue || parked.queue === queue);
    for (const parked of may ? await may(listed) : listed) {
      const job = await this.queues.find((q) => q.name === parked.queue)!.getJob(parked.id);
      if (job && (await replay(job, 'failed')) === 'replayed') replayed.push({ queue: parked.queue, id: parked.id });
    }
    return replayed;
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close()));
  }
}
