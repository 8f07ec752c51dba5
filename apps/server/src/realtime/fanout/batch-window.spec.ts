import { BatchWindow } from './batch-window';

describe('with a given loop delay', () => {
  let delay = 0;
  let window: BatchWindow;
  beforeEach(() => {
    jest.useFakeTimers();
    delay = 0;
    window = new BatchWindow({ minMs: 10, maxMs: 100, sampleEveryMs: 250, loopDelayMs: () => delay });
  });
  afterEach(() => {
    window.stop();
    jest.useRealTimers();
  });

  it('stays at the minimum while the loop keeps up', () => {
    jest.advanceTimersByTime(1000);
    expect(window.ms).toBe(10);
  });

  it('follows a growing delay at once, up to the maximum', () => {
    delay = 80;
    jest.advanceTimersByTime(250);
    expect(window.ms).toBe(80);
    delay = 2_000;
    jest.advanceTimersByTime(250);
    expect(window.ms).toBe(100);
  });

  it('comes back down by halves once the loop catches up, to the minimum', () => {
    delay = 2_000;
    jest.advanceTimersByTime(250);
    delay = 0;
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      jest.advanceTimersByTime(250);
      seen.push(window.ms);
    }
    expect(seen).toEqual([50, 25, 12.5, 10, 10]);
  });
});

it('refuses a window that cannot be', () => {
  expect(() => new BatchWindow({ minMs: 0, maxMs: 10 })).toThrow(RangeError);
  expect(() => new BatchWindow({ minMs: 20, maxMs: 10 })).toThrow(RangeError);
});

it("widens from libuv's own measure when the event loop is really blocked", async () => {
  const window = new BatchWindow({ minMs: 10, maxMs: 200, sampleEveryMs: 50 });
  try {
    const deadline = Date.now() + 10_000;
    // Blocks the loop 120 ms at a time, letting timers (the sampler) run in between, until the window has widened
    // well past its minimum. (Stopping at the first widening read a p90 of 42 ms once on a machine at load 10: a
    // sample can straddle blocked and free stretches.)
    while (window.ms <= 50 && Date.now() < deadline) {
      const until = Date.now() + 120;
      while (Date.now() < until);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(window.ms).toBeGreaterThan(50);
  } finally {
    window.stop();
  }
});
