import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface BatchWindowOptions {
  /** The window while the node keeps up: a few ms, so packing adds next to nothing at low load. */
  minMs: number;
  /** The longest a dashboard event may wait while the node is behind. */
  maxMs: number;
  /** How often the event loop's delay is read (and the window set from it). */
  sampleEveryMs?: number;
  /** The loop's delay now, in ms (tests); by default libuv's own measure (`monitorEventLoopDelay`). */
  loopDelayMs?: () => number;
}

/**
 * The room batcher's window, widened while the node's event loop is behind. A saturated node already delays
 * every frame by its loop delay; packing what arrives meanwhile into fewer frames costs no extra latency then,
 * and every frame not written (its syscall, the load balancer's copy, the client's parse) is CPU the node and
 * its neighbours get back. While the loop keeps up the window is `minMs`.
 */
export class BatchWindow {
  private current: number;
  private readonly histogram: IntervalHistogram | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly opts: BatchWindowOptions) {
    if (!(opts.minMs > 0) || opts.maxMs < opts.minMs) throw new RangeError(`need 0 < minMs <= maxMs, got ${opts.minMs}, ${opts.maxMs}`);
    this.current = opts.minMs;
    if (!opts.loopDelayMs) {
      this.histogram = monitorEventLoopDelay({ resolution: 10 });
      this.histogram.enable();
    }
    this.timer = setInterval(() => this.sample(), opts.sampleEveryMs ?? 250);
    this.timer.unref();
  }

  /** The window now, in ms. */
  get ms(): number {
    return this.current;
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram?.disable();
  }

  private sample(): void {
    const delay = this.opts.loopDelayMs ? this.opts.loopDelayMs() : this.readHistogram();
    // Follows the delay up at once and back down gradually, so one quiet sample does not undo the packing.
    const target = Math.min(this.opts.maxMs, Math.max(this.opts.minMs, delay));
    this.current = target >= this.current ? target : Math.max(target, this.current / 2);
  }

  /** The loop's p90 delay over the last sample, less the histogram's own 10 ms resolution. */
  private readHistogram(): number {
    const h = this.histogram!;
    const p90 = h.count > 0 ? h.percentile(90) / 1e6 - 10 : 0;
    h.reset();
    return Math.max(0, p90);
  }
}
