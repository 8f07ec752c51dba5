import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES, type QueueName } from '@taskflow/events';
import { replay } from './pipeline.queue';

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

  constructor(connection: Redis, prefix: string, only?: QueueName) {
    const names = only ? [only] : Object.values(QUEUES);
    this.queues = names.map((name) => new Queue(name, { connection, prefix }));
  }

  async list(): Promise<ParkedJob[]> {
    const parked: ParkedJob[] = [];
    for (const q of this.queues) {
      for (let start = 0; ; start += PAGE) {
        const jobs = await q.getFailed(start, start + PAGE - 1);
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
        if (jobs.length < PAGE) break;
      }
    }
    return parked;
  }

  /** Moves every job parked now back to waiting; returns those replayed (one replayed meanwhile by someone else is skipped). */
  async retryAll(): Promise<Array<{ queue: QueueName; id: string }>> {
    const replayed: Array<{ queue: QueueName; id: string }> = [];
    // Listed first, then replayed: a replayed job that fails again at once is not picked up twice.
    for (const parked of await this.list()) {
      const job = await this.queues.find((q) => q.name === parked.queue)!.getJob(parked.id);
      if (job && (await replay(job, 'failed')) === 'replayed') replayed.push({ queue: parked.queue, id: parked.id });
    }
    return replayed;
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close()));
  }
}
