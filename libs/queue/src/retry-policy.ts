import type { BackoffStrategy } from 'bullmq';

/**
 * How pipeline jobs are retried. The producer stores `attempts` and the first
 * delay in each job; the worker's strategy doubles the delay up to a cap, so a
 * job rides out a database or GitHub outage of several minutes before it is
 * parked in the failed set (where an operator or a redelivery replays it).
 */
export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({ attempts: 12, backoffMs: 1000, backoffMaxMs: 60_000 });

/** The backoff type stored in every job; only workers that register `cappedBackoffStrategy` understand it. */
export const CAPPED_BACKOFF = 'capped-exponential';

/** Delay before retry number `attemptsMade` (1 = after the first failure): base · 2^(n-1), at most `maxMs`. */
export function cappedBackoffDelay(attemptsMade: number, baseMs: number, maxMs: number): number {
  if (baseMs <= 0) return 0;
  // Past 2^30 the product only matters through the cap; keep the arithmetic finite.
  const exponent = Math.min(Math.max(attemptsMade - 1, 0), 30);
  return Math.min(maxMs, baseMs * 2 ** exponent);
}

/** Every delay a job waits between its attempts, in order (attempts − 1 of them). */
export function retrySchedule(policy: RetryPolicy): number[] {
  return Array.from({ length: Math.max(policy.attempts - 1, 0) }, (_, i) =>
    cappedBackoffDelay(i + 1, policy.backoffMs, policy.backoffMaxMs),
  );
}

/** How long a job keeps being retried before it is parked. */
export function retryWindowMs(policy: RetryPolicy): number {
  return retrySchedule(policy).reduce((sum, d) => sum + d, 0);
}

/**
 * The worker side (BullMQ `settings.backoffStrategy`): the first delay comes from
 * the job itself, the cap from the worker's configuration.
 */
export function cappedBackoffStrategy(maxMs: number): BackoffStrategy {
  return (attemptsMade, _type, _err, job) => {
    const base = job?.opts.backoff && typeof job.opts.backoff === 'object' ? (job.opts.backoff.delay ?? 0) : 0;
    return cappedBackoffDelay(attemptsMade, base, maxMs);
  };
}
