import { diffBuckets, histogramQuantile, lagSummary, sumBuckets, webhookToScreen } from './histogram-quantile';

const INF = Number.POSITIVE_INFINITY;

describe('histogramQuantile', () => {
  // 100 observations: 10 ≤ 10 ms, 80 in (10, 50] ms, 9 in (50, 100] ms, 1 above 1 s.
  const buckets: Array<[number, number]> = [
    [0.01, 10],
    [0.05, 90],
    [0.1, 99],
    [1, 99],
    [INF, 100],
  ];

  it('interpolates inside the bucket the rank falls in', () => {
    // Rank 50: 40 of the 80 in (0.01, 0.05] → half-way.
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.03, 10);
    // Rank 95: 5 of the 9 in (0.05, 0.1].
    expect(histogramQuantile(0.95, buckets)).toBeCloseTo(0.05 + 0.05 * (5 / 9), 10);
    // Rank 10 is the first bucket's top.
    expect(histogramQuantile(0.1, buckets)).toBeCloseTo(0.01, 10);
  });

  it('answers the highest finite bound when the rank is in +Inf, and null with no observations', () => {
    expect(histogramQuantile(0.999, buckets)).toBe(1);
    expect(
      histogramQuantile(0.5, [
        [0.01, 0],
        [INF, 0],
      ]),
    ).toBeNull();
    expect(histogramQuantile(0.5, [])).toBeNull();
  });

  it('reads unsorted buckets the same', () => {
    expect(histogramQuantile(0.5, [...buckets].reverse())).toBeCloseTo(0.03, 10);
  });
});

describe('bucket arithmetic', () => {
  it('sums nodes bound by bound and takes the difference of two snapshots', () => {
    const a: Array<[number, number]> = [
      [0.01, 1],
      [INF, 2],
    ];
    const b: Array<[number, number]> = [
      [0.01, 3],
      [INF, 5],
    ];
    expect(sumBuckets([a, b])).toEqual([
      [0.01, 4],
      [INF, 7],
    ]);
    expect(diffBuckets(b, a)).toEqual([
      [0.01, 2],
      [INF, 3],
    ]);
    expect(diffBuckets(b, undefined)).toEqual(b);
  });

  it('summarises in milliseconds', () => {
    expect(
      lagSummary([
        [0.01, 10],
        [0.05, 90],
        [0.1, 99],
        [1, 99],
        [INF, 100],
      ]),
    ).toEqual({ count: 100, p50Ms: 30, p99Ms: 100 });
  });

  it('gives the webhook → screen view each bucket’s own deliveries in ms, the +Inf one as null', () => {
    expect(
      webhookToScreen([
        [INF, 4],
        [0.25, 1],
        [1, 3],
      ]),
    ).toEqual({
      count: 4,
      p50Ms: 625,
      p99Ms: 1000,
      buckets: [
        { leMs: 250, count: 1 },
        { leMs: 1000, count: 2 },
        { leMs: null, count: 1 },
      ],
    });
    expect(webhookToScreen([])).toEqual({ count: 0, p50Ms: null, p99Ms: null, buckets: [] });
  });
});
