/**
 * The one clock every relative time on the page reads: a single timer for all of them, which ticks every second
 * while any of them is under a minute old (so "5 seconds ago" counts up) and every SLOW_TICK_MS otherwise.
 */
export const FAST_TICK_MS = 1000;
export const SLOW_TICK_MS = 15_000;
const YOUNG_MS = 60_000;

const listeners = new Map<() => void, number>();
let timer: ReturnType<typeof setTimeout> | undefined;
let current = 0;

/** The time the relative times show: the last tick's, or now while nothing is shown. */
export function clockNow(): number {
  return timer === undefined ? Date.now() : current;
}

function nextTick(): number {
  for (const at of listeners.values()) if (current - at < YOUNG_MS) return FAST_TICK_MS;
  return SLOW_TICK_MS;
}

function schedule(): void {
  clearTimeout(timer);
  timer = setTimeout(() => {
    current = Date.now();
    schedule();
    for (const listener of [...listeners.keys()]) listener();
  }, nextTick());
}

/** Re-renders `listener` on every tick while subscribed; `at` (ms) is the time it shows, which sets the pace. */
export function subscribeClock(at: number, listener: () => void): () => void {
  const young = current - at < YOUNG_MS && nextTick() === SLOW_TICK_MS;
  // Starting, or sped up by a new time: read the time now (a slow clock's last tick may be 15 s old).
  if (timer === undefined || young) current = Date.now();
  listeners.set(listener, at);
  // The first subscriber starts the clock; a young one speeds a slow clock up.
  if (timer === undefined || young) schedule();
  return () => {
    listeners.delete(listener);
    if (listeners.size > 0) return;
    clearTimeout(timer);
    timer = undefined;
  };
}
