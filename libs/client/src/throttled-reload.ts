/**
 * Coalesces a stream of "something changed" signals into reloads: the first
 * change after a quiet spell reloads after `delayMs` (a burst becomes one
 * reload), and reloads are never closer than `minIntervalMs` apart however
 * busy the org is. The server may answer from a cache a few seconds old, so a
 * change-triggered reload is confirmed by one more, `minIntervalMs` later
 * (keep it above the server's cache lifetime): the page always settles on
 * data that includes the change.
 */
export function throttledReload(reload: () => void, opts: { delayMs: number; minIntervalMs: number }, now: () => number = Date.now) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastRun = -Infinity;
  /** Changes seen since the last reload started. */
  let dirty = false;
  /** The last reload was for a change: one more is owed to see past the server's cache. */
  let confirm = false;
  const schedule = (delay: number) => {
    if (timer) return;
    timer = setTimeout(run, Math.max(delay, lastRun + opts.minIntervalMs - now()));
  };
  const run = () => {
    timer = undefined;
    lastRun = now();
    confirm = dirty;
    dirty = false;
    reload();
    if (confirm) schedule(opts.minIntervalMs);
  };
  return {
    /** A change happened: reload soon, unless one is already scheduled. */
    changed(): void {
      dirty = true;
      schedule(opts.delayMs);
    },
    /** A reload happened by other means (first load, the periodic refresh). */
    ran(): void {
      lastRun = now();
    },
    cancel(): void {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
