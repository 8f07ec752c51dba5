import { ackRetryDelayMs, shouldRetryAck, type Ack } from '@taskflow/events';

/**
 * Sends a join (or resync) until it is answered for good: ok, or a failure retrying cannot fix (NOT_FOUND, …).
 * A retryable failure (UNAVAILABLE, RATE_LIMITED) or a missing ack is sent again with the contract's
 * backoff: without it, a join that failed after a reconnect leaves the page showing what it had before, silently.
 * INTERNAL and a missing ack only a few times (the contract's shouldRetryAck): then `onAnswer` gets the last
 * failure, or undefined when no ack came at all, and the caller falls back to what it has (the REST API).
 * Returns a function that stops retrying (the page unmounts, or a reconnect starts a fresh join).
 */
export function joinWithRetry<T>(send: () => Promise<Ack<T>>, onAnswer: (ack: Ack<T> | undefined) => void): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const attempt = (n: number) =>
    void send()
      .catch(() => undefined)
      .then((ack) => {
        if (stopped) return;
        if (ack?.ok || !shouldRetryAck(ack?.error, n)) onAnswer(ack);
        else timer = setTimeout(() => attempt(n + 1), ackRetryDelayMs(n));
      });
  attempt(1);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
