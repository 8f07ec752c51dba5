/** Node's setTimeout holds at most 2^31-1 ms (~24.8 days); longer delays fire after 1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface ExpiryTimer {
  cancel(): void;
}

/**
 * Runs `fn` once at `deadline` (epoch ms), however far away: a long wait is
 * chained in steps that each fit the timer limit. Unref'd, so it never keeps a
 * process alive on its own.
 */
export function runAt(deadline: number, fn: () => void, now: () => number = Date.now): ExpiryTimer {
  let timer: NodeJS.Timeout | undefined;
  let cancelled = false;
  const arm = () => {
    if (cancelled) return;
    const remaining = deadline - now();
    if (remaining <= 0) return fn();
    timer = setTimeout(arm, Math.min(remaining, MAX_TIMEOUT_MS));
    timer.unref();
  };
  arm();
  return {
    cancel() {
      cancelled = true;
      clearTimeout(timer);
    },
  };
}

interface Entry<K> {
  at: number;
  key: K;
  /** Position in the heap, kept current so an entry leaves in O(log n). */
  index: number;
}

/**
 * One deadline per key (a socket's session end), all served by a single timer:
 * a binary min-heap by deadline and one `runAt` armed for the earliest. A Node
 * timer, its closures and a handle per socket cost some 400 bytes each; an
 * entry here is one small object. Entries are removed at once on `cancel`, so
 * the queue never holds a key that is gone.
 */
export class DeadlineQueue<K extends object> {
  private readonly heap: Array<Entry<K>> = [];
  private readonly entries = new WeakMap<K, Entry<K>>();
  private timer: ExpiryTimer | undefined;
  private armedAt = Infinity;

  constructor(
    private readonly onDue: (key: K) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sets (or moves) `key`'s deadline; a deadline already passed runs `onDue` at once, as `runAt` does. */
  set(key: K, deadline: number): void {
    this.cancel(key);
    if (deadline <= this.now()) return this.onDue(key);
    const entry: Entry<K> = { at: deadline, key, index: this.heap.length };
    this.heap.push(entry);
    this.entries.set(key, entry);
    this.up(entry.index);
    this.arm();
  }

  cancel(key: K): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const last = this.heap.pop()!;
    if (last !== entry) {
      this.heap[entry.index] = last;
      last.index = entry.index;
      this.down(last.index);
      this.up(last.index);
    }
    if (this.heap.length === 0) this.disarm();
  }

  /** Keys waiting (for tests and metrics). */
  get size(): number {
    return this.heap.length;
  }

  private arm(): void {
    const first = this.heap[0];
    if (!first || first.at === this.armedAt) return;
    this.timer?.cancel();
    this.armedAt = first.at;
    this.timer = runAt(first.at, () => this.fire(), this.now);
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.now();
    try {
      // Each due key leaves before its callback runs: a callback may set a new deadline for it.
      while (this.heap[0] && this.heap[0].at <= now) {
        const { key } = this.heap[0];
        this.cancel(key);
        this.onDue(key);
      }
    } finally {
      // A throwing callback must not leave the other keys without a timer.
      this.arm();
    }
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= h[i]!.at) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let least = i;
      if (l < h.length && h[l]!.at < h[least]!.at) least = l;
      if (r < h.length && h[r]!.at < h[least]!.at) least = r;
      if (least === i) return;
      this.swap(i, least);
      i = least;
    }
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    [h[a], h[b]] = [h[b]!, h[a]!];
    h[a].index = a;
    h[b].index = b;
  }
}
