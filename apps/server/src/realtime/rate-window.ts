/**
 * Events per second over the last `seconds` seconds, in a fixed ring of
 * one-second buckets: memory stays constant however many events arrive and
 * however rarely anyone reads the rate.
 */
export class RateWindow {
  private readonly counts: number[];
  /** The second (epoch seconds) each bucket currently counts. */
  private readonly stamps: number[];

  constructor(
    private readonly seconds = 10,
    private readonly now: () => number = Date.now,
  ) {
    this.counts = new Array<number>(seconds).fill(0);
    this.stamps = new Array<number>(seconds).fill(-1);
  }

  record(n = 1): void {
    const second = Math.floor(this.now() / 1000);
    const i = second % this.seconds;
    if (this.stamps[i] !== second) {
      this.stamps[i] = second;
      this.counts[i] = 0;
    }
    this.counts[i]! += n;
  }

  /** Events in the window, divided by its length. */
  perSecond(): number {
    const oldest = Math.floor(this.now() / 1000) - this.seconds + 1;
    let total = 0;
    for (let i = 0; i < this.seconds; i++) if (this.stamps[i]! >= oldest) total += this.counts[i]!;
    return total / this.seconds;
  }

  /** Buckets held: always the window's length (for tests and the curious). */
  get size(): number {
    return this.counts.length;
  }
}
