import type { Logger } from '@taskflow/platform';

/** What the watchdog reads of, and does to, one queue's consumer. */
export interface WatchedConsumer {
  readonly queue: string;
  /** Jobs this consumer has started, ever (it only grows). */
  readonly started: number;
  /** Jobs running now. */
  readonly running: number;
  readonly concurrency: number;
  /** Swaps the BullMQ worker for a new one, with a new blocking connection. */
  replace(reason: string): void;
}

/**
 * Finds a BullMQ worker that has stopped taking jobs and has it replaced.
 *
 * After a Redis failover or a slot migration, a worker's blocking connection can be left waiting on a command no
 * server will ever answer, or its fetch loop parked, while `isRunning()` still says true and nothing is logged: jobs
 * pile up in `wait` and nothing takes them (taskforcesh/bullmq#3088, #3185; seen here with a Redis Cluster master
 * SIGKILLed under load). BullMQ's maintainers leave the cure to the application: close the worker and start another.
 * A consumer is stuck when jobs have been waiting for `stuckAfterMs` while it had a free slot and started none.
 */
export class WorkerWatchdog {
  /** Per queue: since when jobs wait while it has room, and how many it had started then. */
  private readonly idleSince = new Map<string, { at: number; started: number }>();

  constructor(
    private readonly consumers: readonly WatchedConsumer[],
    private readonly stuckAfterMs: number,
    private readonly logger: Logger,
  ) {}

  /** One look, given each queue's count of jobs ready to run. Answers the queues whose worker it replaced. */
  check(waiting: Readonly<Record<string, number>>, now = Date.now()): string[] {
    const replaced: string[] = [];
    for (const c of this.consumers) {
      const ready = waiting[c.queue] ?? 0;
      const seen = this.idleSince.get(c.queue);
      if (ready === 0 || c.running >= c.concurrency) {
        this.idleSince.delete(c.queue);
      } else if (!seen || c.started > seen.started) {
        // Jobs wait and there is room: the clock starts now (or again, since it took one).
        this.idleSince.set(c.queue, { at: now, started: c.started });
      } else if (now - seen.at >= this.stuckAfterMs) {
        const reason = `${ready} job(s) waited ${now - seen.at} ms while it ran ${c.running} of ${c.concurrency}`;
        this.logger.warn({ queue: c.queue, waiting: ready, running: c.running }, `worker took no job: replacing it (${reason})`);
        c.replace(reason);
        this.idleSince.delete(c.queue);
        replaced.push(c.queue);
      }
    }
    return replaced;
  }

  /** Counts could not be read (Redis away): no consumer is to blame for that time, so every clock starts again. */
  forget(): void {
    this.idleSince.clear();
  }
}

/**
 * Looks every `everyMs` (the counts come from the producer's connection, not the workers' own). A round whose counts
 * could not be read (Redis away) decides nothing: the consumers are not to blame for that.
 */
export function startWorkerWatchdog(
  watchdog: WorkerWatchdog,
  waitingCounts: () => Promise<Record<string, number>>,
  everyMs: number,
  logger: Logger,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    waitingCounts()
      .then((counts) => watchdog.check(counts))
      .catch((err: unknown) => {
        watchdog.forget();
        logger.debug({ err }, 'worker watchdog: job counts unavailable');
      })
      .finally(() => (running = false));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
