import { cappedBackoffDelay, cappedBackoffStrategy, DEFAULT_RETRY_POLICY, retrySchedule, retryWindowMs } from './retry-policy';

describe('capped exponential backoff', () => {
  it('doubles from the first delay and never exceeds the cap', () => {
    expect(retrySchedule({ attempts: 8, backoffMs: 1000, backoffMaxMs: 10_000 })).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
    expect(cappedBackoffDelay(1, 250, 60_000)).toBe(250);
    // Far past the cap the arithmetic stays finite.
    expect(cappedBackoffDelay(500, 1000, 60_000)).toBe(60_000);
    expect(cappedBackoffDelay(3, 0, 60_000)).toBe(0);
  });

  it('keeps a job retrying for more than five minutes with the defaults, one minute apart at most', () => {
    const schedule = retrySchedule(DEFAULT_RETRY_POLICY);
    expect(schedule).toHaveLength(DEFAULT_RETRY_POLICY.attempts - 1);
    expect(Math.max(...schedule)).toBe(60_000);
    expect(retryWindowMs(DEFAULT_RETRY_POLICY)).toBeGreaterThanOrEqual(5 * 60_000);
    // Yet not forever: parked within ten minutes, where an operator sees it.
    expect(retryWindowMs(DEFAULT_RETRY_POLICY)).toBeLessThanOrEqual(10 * 60_000);
  });

  it('is what the worker strategy answers for a job, taking the first delay from the job', () => {
    const strategy = cappedBackoffStrategy(5000);
    const job = { opts: { backoff: { type: 'capped-exponential', delay: 700 } } } as Parameters<typeof strategy>[3];
    expect([1, 2, 3, 4, 5].map((n) => strategy(n, 'capped-exponential', new Error('down'), job))).toEqual([700, 1400, 2800, 5000, 5000]);
  });
});
