import { throttledReload } from './throttled-reload';

describe('throttledReload', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('turns a steady stream of task events into at most one stats reload every 6 s', () => {
    const reload = jest.fn();
    const t = throttledReload(reload, { delayMs: 300, minIntervalMs: 6000 });
    t.ran(); // the first load
    // 20 events a second for 60 s.
    for (let i = 0; i < 1200; i++) {
      t.changed();
      jest.advanceTimersByTime(50);
    }
    expect(reload.mock.calls.length).toBeGreaterThanOrEqual(9);
    expect(reload.mock.calls.length).toBeLessThanOrEqual(10);
  });

  it('reloads a lone change after a short delay, confirms it once past the cache, then stays quiet', () => {
    const reload = jest.fn();
    const t = throttledReload(reload, { delayMs: 300, minIntervalMs: 6000 });
    t.changed();
    t.changed();
    jest.advanceTimersByTime(299);
    expect(reload).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(reload).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(6000);
    expect(reload).toHaveBeenCalledTimes(2);
    jest.advanceTimersByTime(60_000);
    expect(reload).toHaveBeenCalledTimes(2);
    t.changed();
    t.cancel();
    jest.advanceTimersByTime(60_000);
    expect(reload).toHaveBeenCalledTimes(2);
  });
});
