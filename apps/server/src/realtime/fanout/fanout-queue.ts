/** One broadcast's remaining writes: the recipients fixed when it arrived, and how to write to one. */
interface FanoutJob<T> {
  readonly targets: readonly T[];
  readonly write: (target: T) => void;
  next: number;
}

/**
 * Beyond this many queued writes the backlog is written at once, as without the queue: a node that cannot keep up
 * must not hold an unbounded backlog in memory (it then blocks, as every broadcast did before).
 */
const MAX_QUEUED_WRITES = 1_000_000;

/**
 * The writes of broadcasts to this node's sockets, at most `chunk` per turn of the event loop, so that health
 * checks, new connections and other I/O are served between chunks (`setImmediate` lets the poll phase run).
 *
 * Broadcasts are strictly FIFO: one that arrives while an earlier one still has writes queued waits behind it,
 * so every socket gets its frames in arrival order. A broadcast that fits in what is left of the current turn's
 * budget, with nothing queued, is written at once by the caller (`fits` / `spent`): no added latency.
 */
export class FanoutQueue<T> {
  private readonly jobs: Array<FanoutJob<T>> = [];
  /** Writes done in the current turn (synchronous fast paths and drained chunks alike). */
  private used = 0;
  private turnScheduled = false;
  private draining = false;
  private queued = 0;

  constructor(
    readonly chunk: number,
    private readonly onError: (err: unknown) => void,
  ) {
    if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`chunk must be a positive integer, got ${chunk}`);
  }

  /** Writes waiting for a later turn. */
  get pending(): number {
    return this.queued;
  }

  /** Whether a broadcast of at most `size` writes may be written now, synchronously, without overtaking or exceeding this turn. */
  fits(size: number): boolean {
    return this.jobs.length === 0 && this.used + size <= this.chunk;
  }

  /** Counts `n` writes the caller made synchronously after `fits`. */
  spent(n: number): void {
    if (n === 0) return;
    this.used += n;
    this.scheduleTurn();
  }

  /** Queues a broadcast's writes behind every earlier one; what this turn's budget allows is written now. */
  push(targets: readonly T[], write: (target: T) => void): void {
    if (targets.length === 0) return;
    this.jobs.push({ targets, write, next: 0 });
    this.queued += targets.length;
    if (this.queued > MAX_QUEUED_WRITES) return this.flush();
    // A write that broadcasts again (a disconnect handler) only queues: the running drain reaches it in order.
    if (!this.draining) this.drain();
  }

  /** Writes everything queued now, in order: for operations that must not overtake earlier broadcasts (acks, disconnects). */
  flush(): void {
    while (this.jobs.length > 0) {
      const job = this.jobs[0]!;
      while (job.next < job.targets.length) this.writeNext(job);
      if (this.jobs[0] === job) this.jobs.shift();
    }
  }

  /** Drops what is queued (the namespace is closing: its sockets are going away). */
  clear(): void {
    this.jobs.length = 0;
    this.queued = 0;
  }

  private drain(): void {
    this.draining = true;
    try {
      while (this.jobs.length > 0 && this.used < this.chunk) {
        const job = this.jobs[0]!;
        while (job.next < job.targets.length && this.used < this.chunk) {
          this.used += 1;
          this.writeNext(job);
        }
        // A write may have flushed (and emptied) the queue meanwhile.
        if (job.next >= job.targets.length && this.jobs[0] === job) this.jobs.shift();
      }
    } finally {
      this.draining = false;
    }
    if (this.jobs.length > 0 || this.used > 0) this.scheduleTurn();
  }

  private writeNext(job: FanoutJob<T>): void {
    // Advanced before the write, so a re-entrant flush never writes the same target twice.
    const target = job.targets[job.next++]!;
    this.queued -= 1;
    try {
      job.write(target);
    } catch (err) {
      // One socket's failure must not stall or reorder everyone else's frames.
      this.onError(err);
    }
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(this.turn);
  }

  private readonly turn = (): void => {
    this.turnScheduled = false;
    this.used = 0;
    if (this.jobs.length > 0) this.drain();
  };
}
