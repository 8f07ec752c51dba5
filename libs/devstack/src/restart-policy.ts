/**
 * When to restart a process that exited on its own, and when to stop trying.
 * Pure (the clock is passed in) so the supervisor's behaviour can be tested
 * without waiting a minute.
 */
export interface RestartPolicyOptions {
  /** This many unexpected exits within `windowMs` is a crash loop: stop restarting. */
  maxExits: number;
  windowMs: number;
  /** First restart delay; doubles with each exit still inside the window, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = { maxExits: 5, windowMs: 60_000, baseDelayMs: 500, maxDelayMs: 8000 };

export type RestartDecision = { action: 'restart'; delayMs: number; recentExits: number } | { action: 'give-up'; recentExits: number };

export class RestartPolicy {
  private exits: number[] = [];

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** Records an unexpected exit at `now` and decides what to do about it. */
  onExit(now: number): RestartDecision {
    this.exits = [...this.exits.filter((at) => now - at < this.options.windowMs), now];
    const recentExits = this.exits.length;
    if (recentExits >= this.options.maxExits) return { action: 'give-up', recentExits };
    const delayMs = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (recentExits - 1));
    return { action: 'restart', delayMs, recentExits };
  }

  /** An operator restarted or replaced the process on purpose: its history starts over. */
  reset(): void {
    this.exits = [];
  }
}
