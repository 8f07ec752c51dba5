import { Histogram } from './histogram';

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
