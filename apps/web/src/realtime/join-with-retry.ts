import { ackRetryDelayMs, isRetryableAckError, type Ack } from '@taskflow/events';

/**
 * Sends a join (or resync) until it is answered for good: ok, or a failure retrying cannot fix (NOT_FOUND, …).
 * A retryable failure (UNAVAILABLE, RATE_LIMITED, INTERNAL) or a missing ack is sent again with the contract's
 * backoff: without it, a join that failed after a reconnect leaves the page showing what it had before, silently.
 * Returns a function that stops retrying (the page unmounts, or a reconnect starts a fresh join).
 */
export function joinWithRetry<T>(send: () => Promise<Ack<T>>, onAnswer: (ack: Ack<T>) => void): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const attempt = (n: number) =>
    void send()
      .then(
        (ack) => (ack.ok || !isRetryableAckError(ack.error) ? ack : undefined),
        () => undefined,
      )
      .then((ack) => {
        if (stopped) return;
        if (ack) onAnswer(ack);
        else timer = setTimeout(() => attempt(n + 1), ackRetryDelayMs(n));
      });
  attempt(1);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
