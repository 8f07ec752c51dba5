/** Resolution of recorded latencies; values are clamped to [0, MAX_MS]. */
const STEP_MS = 0.1;
const MAX_MS = 120_000;
const BUCKETS = Math.round(MAX_MS / STEP_MS) + 1;

/** Sparse form for IPC: [bucket index, count] pairs, and the exact max. */
export interface HistogramSnapshot {
  buckets: Array<[number, number]>;
  count: number;
  maxMs: number;
}

export interface Percentiles {
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/**
 * A fixed-bucket latency histogram (0.1 ms steps up to 120 s): constant memory
 * however many deliveries a child records, and mergeable across children.
 */
export class Histogram {
  private counts = new Uint32Array(BUCKETS);
  count = 0;
  maxMs = 0;

  record(ms: number): void {
    const v = Math.min(MAX_MS, Math.max(0, ms));
    this.counts[Math.round(v / STEP_MS)]! += 1;
    this.count += 1;
    if (v > this.maxMs) this.maxMs = v;
  }

  snapshot(): HistogramSnapshot {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i]) buckets.push([i, this.counts[i]!]);
    return { buckets, count: this.count, maxMs: this.maxMs };
  }

  merge(s: HistogramSnapshot): void {
    for (const [i, n] of s.buckets) this.counts[i]! += n;
    this.count += s.count;
    this.maxMs = Math.max(this.maxMs, s.maxMs);
  }

  /** The value below which `q` (0–1) of the recordings fall, or null when empty. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return round(i * STEP_MS);
    }
    return round(this.maxMs);
  }

  percentiles(): Percentiles {
    return {
      count: this.count,
      p50Ms: this.quantile(0.5),
      p95Ms: this.quantile(0.95),
      p99Ms: this.quantile(0.99),
      maxMs: this.count ? round(this.maxMs) : null,
    };
  }
}

/** One histogram from the snapshots of several generator processes. */
export function mergeSnapshots(snapshots: HistogramSnapshot[]): Histogram {
  const h = new Histogram();
  for (const s of snapshots) h.merge(s);
  return h;
}

const round = (ms: number) => Math.round(ms * 10) / 10;
