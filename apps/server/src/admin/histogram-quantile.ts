import type { HistogramBuckets, LagSummary, WebhookToScreen } from '@taskflow/events';

/**
 * The q-quantile of cumulative histogram buckets, as Prometheus' histogram_quantile computes it:
 * linear interpolation inside the bucket the rank falls in; a rank in the `+Inf` bucket answers
 * the highest finite bound (all that is known). Null when nothing was observed.
 */
export function histogramQuantile(q: number, buckets: HistogramBuckets): number | null {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return lowerBound;
      const inBucket = count - lowerCount;
      return inBucket <= 0 ? le : lowerBound + (le - lowerBound) * ((rank - lowerCount) / inBucket);
    }
    lowerBound = Number.isFinite(le) ? le : lowerBound;
    lowerCount = count;
  }
  return lowerBound;
}

/** Adds bucket lists bound by bound (nodes of one build share the bounds; a bound only one node has counts as is). */
export function sumBuckets(lists: HistogramBuckets[]): HistogramBuckets {
  const byBound = new Map<number, number>();
  for (const list of lists) for (const [le, count] of list) byBound.set(le, (byBound.get(le) ?? 0) + count);
  return [...byBound.entries()].sort((a, b) => a[0] - b[0]);
}

/** `later - earlier`, bound by bound: the observations made between two snapshots of one histogram. */
export function diffBuckets(later: HistogramBuckets, earlier: HistogramBuckets | undefined): HistogramBuckets {
  const before = new Map(earlier ?? []);
  return later.map(([le, count]) => [le, Math.max(0, count - (before.get(le) ?? 0))]);
}

const ms = (seconds: number | null) => (seconds === null ? null : Math.round(seconds * 10_000) / 10);

export function lagSummary(buckets: HistogramBuckets): LagSummary {
  return { count: buckets.at(-1)?.[1] ?? 0, p50Ms: ms(histogramQuantile(0.5, buckets)), p99Ms: ms(histogramQuantile(0.99, buckets)) };
}

/** The webhook → screen histogram for the operations view: the summary, and each bucket's own observations in ms. */
export function webhookToScreen(buckets: HistogramBuckets): WebhookToScreen {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  return {
    ...lagSummary(sorted),
    buckets: sorted.map(([le, count], i) => ({
      leMs: Number.isFinite(le) ? Math.round(le * 1000) : null,
      count: count - (i > 0 ? sorted[i - 1]![1] : 0),
    })),
  };
}
