import { RealtimeMetrics } from './metrics';
import { RateWindow } from './rate-window';

describe('RateWindow', () => {
  it('counts the last 10 seconds in a fixed number of buckets', () => {
    let now = 1_000_000;
    const w = new RateWindow(10, () => now);
    for (let i = 0; i < 200_000; i++) {
      w.record();
      if (i % 1000 === 0) now += 50; // 200 000 events over 10 s
    }
    expect(w.size).toBe(10);
    expect(w.perSecond()).toBeGreaterThan(15_000);
    now += 11_000;
    expect(w.perSecond()).toBe(0);
    w.record();
    expect(w.perSecond()).toBe(0.1);
  });
});

describe('RealtimeMetrics', () => {
  it('keeps its messages-per-second window bounded when /api/health is never read', () => {
    const m = new RealtimeMetrics();
    for (let i = 0; i < 50_000; i++) m.recordBroadcast('task:event_added');
    expect(m.windowEntries()).toBeLessThanOrEqual(10);
    expect(m.summary(0).messagesPerSecond).toBe(5000);
  });
});
