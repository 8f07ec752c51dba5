import { ackRetryDelayMs, isRetryableAckError, MAX_UNEXPLAINED_ACK_ATTEMPTS, shouldRetryAck } from './ack-retry';

describe('ack retry policy', () => {
  it('retries what passes, never what the client must change', () => {
    for (const code of ['UNAVAILABLE', 'RATE_LIMITED', 'INTERNAL']) expect(isRetryableAckError({ code })).toBe(true);
    for (const code of ['NOT_FOUND', 'INVALID_PAYLOAD', 'UNKNOWN_EVENT', 'FEATURE_DISABLED', 'TOKEN_EXPIRED'])
      expect(isRetryableAckError({ code })).toBe(false);
    expect(isRetryableAckError(undefined)).toBe(false);
  });

  it('retries INTERNAL and a missing ack a few times only, what says it passes for as long as the client stays', () => {
    expect(MAX_UNEXPLAINED_ACK_ATTEMPTS).toBe(5);
    for (const error of [{ code: 'INTERNAL' }, undefined]) {
      expect([1, 4].map((n) => shouldRetryAck(error, n))).toEqual([true, true]);
      expect([5, 6].map((n) => shouldRetryAck(error, n))).toEqual([false, false]);
    }
    for (const code of ['UNAVAILABLE', 'RATE_LIMITED']) expect(shouldRetryAck({ code }, 100)).toBe(true);
    expect(shouldRetryAck({ code: 'NOT_FOUND' }, 1)).toBe(false);
  });

  it('backs off from 250-500 ms, doubling, to at most 10 s, jittered', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => ackRetryDelayMs(n, () => 1))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect([1, 2, 6].map((n) => ackRetryDelayMs(n, () => 0))).toEqual([250, 500, 5000]);
  });
});
