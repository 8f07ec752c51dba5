/** Width of a window (s): fine enough to see a move or a node's death, coarse enough to hold a few hundred samples. */
export const WINDOW_S = 5;
/** Log-scale buckets, 2 % apart, from 0 to ~120 s: a window's quantile within 2 %, in a few hundred counters. */
const RATIO = 1.02;
const BUCKETS = Math.ceil(Math.log(120_001) / Math.log(RATIO)) + 1;

const bucketOf = (ms: number) => Math.min(BUCKETS - 1, Math.ceil(Math.log(Math.max(0, ms) + 1) / Math.log(RATIO)));
const upperMsOf = (bucket: number) => RATIO ** bucket - 1;

/** Sparse form for IPC: window start (epoch s) → [bucket, count] pairs. */
export type WindowedSnapshot = Record<string, Array<[number, number]>>;

export interface WindowQuantiles {
  /** Window start, seconds since `fromMs`. */
  atS: number;
  count: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Latencies per WINDOW_S-second window of receipt time, for scenarios whose load changes during the run (a
 * scale-out, a node killed): the p99 of each window against the steady one. Coarse (2 %) and small, unlike the
 * run's fine Histogram: one window costs a few kB.
 */
export class WindowedLatency {
  private readonly windows = new Map<number, Uint32Array>();

  record(receivedAtMs: number, ms: number): void {
    const key = Math.floor(receivedAtMs / 1000 / WINDOW_S) * WINDOW_S;
    let counts = this.windows.get(key);
    if (!counts) this.windows.set(key, (counts = new Uint32Array(BUCKETS)));
    counts[bucketOf(ms)]! += 1;
  }

  snapshot(): WindowedSnapshot {
    const out: WindowedSnapshot = {};
    for (const [key, counts] of this.windows) {
      const pairs: Array<[number, number]> = [];
      counts.forEach((n, i) => n && pairs.push([i, n]));
      out[String(key)] = pairs;
    }
    return out;
  }

  merge(s: WindowedSnapshot): void {
    for (const [key, pairs] of Object.entries(s)) {
      let counts = this.windows.get(Number(key));
      if (!counts) this.windows.set(Number(key), (counts = new Uint32Array(BUCKETS)));
      for (const [i, n] of pairs) counts[i]! += n;
    }
  }

  /** Each window's count, p50 and p99 (the bucket's upper bound), in time order, from `fromMs` on. */
  quantiles(fromMs: number): WindowQuantiles[] {
    return [...this.windows.entries()]
      .filter(([key]) => (key + WINDOW_S) * 1000 > fromMs)
      .sort(([a], [b]) => a - b)
      .map(([key, counts]) => {
        const count = counts.reduce((a, n) => a + n, 0);
        const at = (q: number) => {
          const rank = Math.max(1, Math.ceil(q * count));
          let seen = 0;
          for (let i = 0; i < counts.length; i++) if ((seen += counts[i]!) >= rank) return Math.round(upperMsOf(i) * 10) / 10;
          return 0;
        };
        return { atS: Math.round(key - fromMs / 1000), count, p50Ms: at(0.5), p99Ms: at(0.99) };
      });
  }
}
