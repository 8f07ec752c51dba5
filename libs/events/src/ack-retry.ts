/**
 * Which failed acknowledgements a client should send again, and when. A `task:join`, `dashboard:join` or
 * `resync_requested` that fails with one of these did nothing, and its cause passes (a database that is briefly
 * out of connections, a rate window, a bug hit once): a client that gave up would show stale data until the next
 * event, or forever if none comes. A missing ack (timeout) is retried the same way.
 */
export const RETRYABLE_ACK_CODES: ReadonlySet<string> = new Set(['UNAVAILABLE', 'RATE_LIMITED', 'INTERNAL']);

export function isRetryableAckError(error: { code: string } | undefined): boolean {
  return error !== undefined && RETRYABLE_ACK_CODES.has(error.code);
}

/**
 * Delay before retry `attempt` (1, 2, …): 500 ms doubling to a 10 s cap, each drawn from its upper half so that
 * the clients of a node that failed together do not retry in step.
 */
export function ackRetryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(10_000, 500 * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
