import { MAX_TIMEOUT_MS, runAt } from './expiry-timer';

describe('runAt', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('waits for a deadline beyond the 24.8-day timer limit instead of firing at once', () => {
    const fn = jest.fn();
    const thirtyDays = 30 * 86_400_000;
    runAt(Date.now() + thirtyDays, fn);
    jest.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(MAX_TIMEOUT_MS);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(thirtyDays - MAX_TIMEOUT_MS - 1000 - 1);
    expect(fn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('fires a short or past deadline once, and never after cancel', () => {
    const past = jest.fn();
    runAt(Date.now() - 5, past);
    expect(past).toHaveBeenCalledTimes(1);
    const soon = jest.fn();
    runAt(Date.now() + 500, soon);
    jest.advanceTimersByTime(500);
    expect(soon).toHaveBeenCalledTimes(1);
    const cancelled = jest.fn();
    const t = runAt(Date.now() + 40 * 86_400_000, cancelled);
    jest.advanceTimersByTime(MAX_TIMEOUT_MS + 10);
    t.cancel();
    jest.advanceTimersByTime(40 * 86_400_000);
    expect(cancelled).not.toHaveBeenCalled();
  });
});
