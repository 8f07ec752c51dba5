import { DeadlineQueue, MAX_TIMEOUT_MS, runAt } from './expiry-timer';

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

describe('DeadlineQueue', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());
  const key = (name: string) => ({ name });

  it('runs each key at its own deadline, in deadline order, on one timer', () => {
    const due: string[] = [];
    const q = new DeadlineQueue<{ name: string }>((k) => due.push(k.name));
    const t0 = Date.now();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(key);
    q.set(c!, t0 + 300);
    q.set(a!, t0 + 100);
    q.set(d!, t0 + 300);
    q.set(b!, t0 + 200);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(99);
    expect(due).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(due).toEqual(['a']);
    jest.advanceTimersByTime(100);
    expect(due).toEqual(['a', 'b']);
    jest.advanceTimersByTime(100);
    expect(due.slice(2).sort()).toEqual(['c', 'd']);
    expect(q.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('moves a deadline, forgets a cancelled key, and runs a past deadline at once', () => {
    const due: string[] = [];
    const q = new DeadlineQueue<{ name: string }>((k) => due.push(k.name));
    const t0 = Date.now();
    const [a, b, c] = ['a', 'b', 'c'].map(key);
    q.set(a!, t0 + 100);
    q.set(b!, t0 + 200);
    q.set(c!, t0 + 150);
    q.set(a!, t0 + 500); // moved later (a session slid)
    q.cancel(c!); // disconnected
    q.cancel(c!); // twice is harmless
    expect(q.size).toBe(2);
    jest.advanceTimersByTime(200);
    expect(due).toEqual(['b']);
    jest.advanceTimersByTime(300);
    expect(due).toEqual(['b', 'a']);
    q.set(c!, t0 - 1);
    expect(due).toEqual(['b', 'a', 'c']);
    expect(q.size).toBe(0);
  });

  it('waits past the 24.8-day timer limit, and a callback may set its key again', () => {
    const seen: number[] = [];
    const k = key('k');
    const q = new DeadlineQueue<{ name: string }>(() => {
      seen.push(Date.now());
      if (seen.length === 1) q.set(k, Date.now() + 1000);
    });
    const thirtyDays = 30 * 86_400_000;
    const t0 = Date.now();
    q.set(k, t0 + thirtyDays);
    jest.advanceTimersByTime(MAX_TIMEOUT_MS + 1000);
    expect(seen).toEqual([]);
    jest.advanceTimersByTime(thirtyDays - MAX_TIMEOUT_MS - 1000);
    expect(seen).toEqual([t0 + thirtyDays]);
    jest.advanceTimersByTime(1000);
    expect(seen).toEqual([t0 + thirtyDays, t0 + thirtyDays + 1000]);
  });

  it('keeps the heap ordered through many random sets and cancels', () => {
    const due: number[] = [];
    const q = new DeadlineQueue<{ n: number }>((k) => due.push(k.n));
    const t0 = Date.now();
    const keys = Array.from({ length: 200 }, (_, n) => ({ n }));
    const deadline = new Map<number, number>();
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < 1000; i++) {
      const k = keys[Math.floor(rnd() * keys.length)]!;
      if (rnd() < 0.3) {
        q.cancel(k);
        deadline.delete(k.n);
      } else {
        const at = t0 + 1 + Math.floor(rnd() * 10_000);
        q.set(k, at);
        deadline.set(k.n, at);
      }
    }
    jest.advanceTimersByTime(10_001);
    const expected = [...deadline].sort((x, y) => x[1] - y[1]).map(([n]) => n);
    expect(due).toHaveLength(expected.length);
    expect(due.map((n) => deadline.get(n))).toEqual(expected.map((n) => deadline.get(n)));
  });
});
