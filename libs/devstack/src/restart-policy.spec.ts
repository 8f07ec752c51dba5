import { DEFAULT_RESTART_POLICY, RestartPolicy } from './restart-policy';

/** The supervisor's decision on each unexpected exit, on a fake clock. */
describe('RestartPolicy', () => {
  it('restarts with a doubling backoff, then gives up at the 5th exit within a minute', () => {
    const policy = new RestartPolicy();
    let now = 1_000_000;
    const decisions = [0, 1, 2, 3, 4].map(() => {
      const d = policy.onExit(now);
      now += 5_000;
      return d;
    });
    expect(decisions).toEqual([
      { action: 'restart', delayMs: 500, recentExits: 1 },
      { action: 'restart', delayMs: 1000, recentExits: 2 },
      { action: 'restart', delayMs: 2000, recentExits: 3 },
      { action: 'restart', delayMs: 4000, recentExits: 4 },
      { action: 'give-up', recentExits: 5 },
    ]);
  });

  it('forgets exits older than the window: a process that crashes now and then is always restarted', () => {
    const policy = new RestartPolicy();
    let now = 0;
    for (let i = 0; i < 20; i++) {
      expect(policy.onExit(now)).toEqual({ action: 'restart', delayMs: 500, recentExits: 1 });
      now += DEFAULT_RESTART_POLICY.windowMs;
    }
  });

  it('counts only exits inside the sliding window, and caps the delay', () => {
    const policy = new RestartPolicy({ maxExits: 10, windowMs: 60_000, baseDelayMs: 500, maxDelayMs: 3000 });
    for (let i = 0; i < 5; i++) policy.onExit(i * 1000);
    expect(policy.onExit(5000)).toEqual({ action: 'restart', delayMs: 3000, recentExits: 6 });
    // 61 s after the first exit, the first two have left the window.
    expect(policy.onExit(61_500)).toEqual({ action: 'restart', delayMs: 3000, recentExits: 5 });
    expect(policy.onExit(200_000)).toEqual({ action: 'restart', delayMs: 500, recentExits: 1 });
  });

  it('starts over after an operator restart', () => {
    const policy = new RestartPolicy();
    for (let i = 0; i < 4; i++) policy.onExit(i);
    policy.reset();
    expect(policy.onExit(10)).toEqual({ action: 'restart', delayMs: 500, recentExits: 1 });
  });
});
