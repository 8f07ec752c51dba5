import { Histogram, mergeSnapshots } from './histogram';

describe('Histogram', () => {
  it('gives percentiles at 0.1 ms resolution and merges across processes', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 1; i <= 50; i++) a.record(i);
    for (let i = 51; i <= 100; i++) b.record(i);
    a.merge(b.snapshot());
    expect(a.percentiles()).toEqual({ count: 100, p50Ms: 50, p95Ms: 95, p99Ms: 99, maxMs: 100 });
  });

  it('clamps negative values (clock rounding) to zero and is empty-safe', () => {
    const h = new Histogram();
    expect(h.percentiles().p99Ms).toBeNull();
    h.record(-0.4);
    expect(h.quantile(0.5)).toBe(0);
  });
});

describe('mergeSnapshots (join times from several generator processes)', () => {
  it('gives the p99 of every socket join, not of one process', () => {
    const fast = new Histogram();
    const slow = new Histogram();
    for (let i = 0; i < 98; i++) fast.record(2);
    slow.record(40);
    slow.record(80);
    const all = mergeSnapshots([fast.snapshot(), slow.snapshot()]);
    expect(all.percentiles()).toMatchObject({ count: 100, p50Ms: 2, p99Ms: 40, maxMs: 80 });
    expect(mergeSnapshots([]).percentiles().p99Ms).toBeNull();
  });
});
