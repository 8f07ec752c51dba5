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
