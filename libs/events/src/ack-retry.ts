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
 * INTERNAL (a bug, which may well repeat) and a missing ack are sent at most this many times in all: retried
 * forever they would ask a failing server every 10 s for as long as the page is open. UNAVAILABLE and
 * RATE_LIMITED say that they pass, and are retried for as long as the client is there.
 */
export const MAX_UNEXPLAINED_ACK_ATTEMPTS = 5;

/** Whether attempt `attempt` (1, 2, …), answered `error` (undefined: no ack came), should be sent again. */
export function shouldRetryAck(error: { code: string } | undefined, attempt: number): boolean {
  if (error !== undefined && !isRetryableAckError(error)) return false;
  if (error !== undefined && error.code !== 'INTERNAL') return true;
  return attempt < MAX_UNEXPLAINED_ACK_ATTEMPTS;
}

/**
 * Delay before retry `attempt` (1, 2, …): 500 ms doubling to a 10 s cap, each drawn from its upper half so that
 * the clients of a node that failed together do not retry in step.
 */
export function ackRetryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(10_000, 500 * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
