import { WINDOW_S, WindowedLatency } from './windowed-latency';

describe('WindowedLatency', () => {
  const start = 1_700_000_000_000;

  it('gives each window its own quantiles, within 2 %', () => {
    const w = new WindowedLatency();
    for (let i = 0; i < 100; i++) w.record(start + 100, 10 + i);
    for (let i = 0; i < 100; i++) w.record(start + WINDOW_S * 1000 + 100, 1000 + 10 * i);
    const [first, second] = w.quantiles(start);
    expect(first).toMatchObject({ atS: 0, count: 100 });
    expect(first!.p50Ms).toBeGreaterThanOrEqual(59);
    expect(first!.p50Ms).toBeLessThanOrEqual(59 * 1.02 + 0.1);
    expect(first!.p99Ms).toBeGreaterThanOrEqual(108);
    expect(first!.p99Ms).toBeLessThanOrEqual(108 * 1.02 + 0.1);
    expect(second).toMatchObject({ atS: WINDOW_S, count: 100 });
    expect(second!.p99Ms).toBeGreaterThanOrEqual(1980);
    expect(second!.p99Ms).toBeLessThanOrEqual(1980 * 1.02);
  });

  it('merges what several generator processes recorded, through their snapshots', () => {
    const a = new WindowedLatency();
    const b = new WindowedLatency();
    a.record(start, 5);
    b.record(start, 500);
    b.record(start + 60_000, 7);
    const merged = new WindowedLatency();
    merged.merge(JSON.parse(JSON.stringify(a.snapshot())));
    merged.merge(JSON.parse(JSON.stringify(b.snapshot())));
    const q = merged.quantiles(start);
    expect(q.map((x) => x.count)).toEqual([2, 1]);
    expect(q[0]!.p99Ms).toBeGreaterThanOrEqual(500);
  });

  it('leaves out windows that ended before the phase began', () => {
    const w = new WindowedLatency();
    w.record(start - 60_000, 5);
    w.record(start + 1000, 5);
    expect(w.quantiles(start)).toHaveLength(1);
  });
});
