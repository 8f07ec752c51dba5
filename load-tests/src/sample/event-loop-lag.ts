/**
 * The server nodes' event-loop delay, scraped from each node's /metrics (prom-client's
 * default metrics, `nodejs_eventloop_lag_*` under the node's prefix). A node that does not
 * expose them (metrics moved or protected) is reported as unavailable, not as zero.
 */
export interface LagSummary {
  /** Highest p99 of the event-loop delay any node reported during the window, ms. */
  p99Ms: number | null;
  maxMs: number | null;
  scrapes: number;
  unavailable: number;
}

const P99 = /^\w*nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})? ([\d.e+-]+)$/m;
const MAX = /^\w*nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})? ([\d.e+-]+)$/m;

export class EventLoopLagScraper {
  private timer: NodeJS.Timeout | undefined;
  private summary: LagSummary = { p99Ms: null, maxMs: null, scrapes: 0, unavailable: 0 };

  constructor(
    private readonly nodeUrls: () => Promise<string[]>,
    private readonly everyMs = 2000,
  ) {}

  start(): void {
    this.summary = { p99Ms: null, maxMs: null, scrapes: 0, unavailable: 0 };
    this.timer = setInterval(() => void this.scrapeAll(), this.everyMs);
  }

  private async scrapeAll(): Promise<void> {
    await Promise.all(
      (await this.nodeUrls()).map(async (url) => {
        try {
          const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(this.everyMs) });
          const text = await res.text();
          const p99 = P99.exec(text);
          const max = MAX.exec(text);
          if (!res.ok || !p99 || !max) return void (this.summary.unavailable += 1);
          this.summary.scrapes += 1;
          this.summary.p99Ms = Math.max(this.summary.p99Ms ?? 0, Number(p99[1]) * 1000);
          this.summary.maxMs = Math.max(this.summary.maxMs ?? 0, Number(max[1]) * 1000);
        } catch {
          this.summary.unavailable += 1;
        }
      }),
    );
  }

  stop(): LagSummary {
    clearInterval(this.timer);
    const r = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);
    return { ...this.summary, p99Ms: r(this.summary.p99Ms), maxMs: r(this.summary.maxMs) };
  }
}
