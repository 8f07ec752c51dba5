import { ackRetryDelayMs, isRetryableAckError } from './ack-retry';

describe('ack retry policy', () => {
  it('retries what passes, never what the client must change', () => {
    for (const code of ['UNAVAILABLE', 'RATE_LIMITED', 'INTERNAL']) expect(isRetryableAckError({ code })).toBe(true);
    for (const code of ['NOT_FOUND', 'INVALID_PAYLOAD', 'UNKNOWN_EVENT', 'FEATURE_DISABLED', 'TOKEN_EXPIRED'])
      expect(isRetryableAckError({ code })).toBe(false);
    expect(isRetryableAckError(undefined)).toBe(false);
  });

  it('backs off from 250-500 ms, doubling, to at most 10 s, jittered', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => ackRetryDelayMs(n, () => 1))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect([1, 2, 6].map((n) => ackRetryDelayMs(n, () => 0))).toEqual([250, 500, 5000]);
  });
});
