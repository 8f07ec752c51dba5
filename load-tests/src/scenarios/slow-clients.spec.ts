import type { SocketPlan } from '../client/messages';
import { BenchUsageError, parseBenchArgs } from '../options';
import { withSlowReaders } from './slow-clients';

const plans = (n: number): SocketPlan[] =>
  Array.from({ length: n }, (_, i) => ({
    scope: `org${i % 3}`,
    token: `t${i}`,
    join: { event: 'dashboard:join', data: { batch: true } },
    localAddress: undefined,
  }));

describe('withSlowReaders', () => {
  it('makes the share slow, spread over the plans, half paused and half at the link speed', () => {
    const out = withSlowReaders(plans(2000), 0.01, 50);
    const slow = out.flatMap((p, i) => (p.slowBytesPerSec === undefined ? [] : [[i, p.slowBytesPerSec]]));
    expect(slow).toHaveLength(20);
    expect(slow.map(([i]) => i)).toEqual(Array.from({ length: 20 }, (_, k) => k * 100));
    expect(slow.filter(([, rate]) => rate === 0)).toHaveLength(10);
    // 50 kbit/s = 6,250 bytes/s.
    expect(slow.filter(([, rate]) => rate === 6250)).toHaveLength(10);
    // Only the flag differs: same tokens and orgs as the run without them.
    expect(out.map(({ slowBytesPerSec: _s, ...p }) => p)).toEqual(plans(2000));
  });

  it('takes at least one when the share is above zero, none at zero', () => {
    expect(withSlowReaders(plans(50), 0.001, 50).filter((p) => p.slowBytesPerSec !== undefined)).toHaveLength(1);
    expect(withSlowReaders(plans(50), 0, 50).filter((p) => p.slowBytesPerSec !== undefined)).toHaveLength(0);
  });
});

describe('slow-clients options', () => {
  it('defaults to 1 % of the sockets, 50 kbit/s and the server default buffer, in one org', () => {
    const o = parseBenchArgs(['slow-clients']);
    expect(o).toMatchObject({ scenario: 'slow-clients', slowShare: 0.01, slowKbps: 50, maxBufferedBytes: undefined, orgs: 1 });
  });

  it('takes --slow-share, --slow-kbps and --max-buffered-bytes, and refuses a negative share', () => {
    const o = parseBenchArgs([
      'slow-clients',
      '--sockets',
      '2000',
      '--slow-share',
      '0.05',
      '--slow-kbps',
      '20',
      '--max-buffered-bytes',
      '0',
    ]);
    expect(o).toMatchObject({ sockets: 2000, slowShare: 0.05, slowKbps: 20, maxBufferedBytes: 0 });
    expect(() => parseBenchArgs(['slow-clients', '--slow-share', '-1'])).toThrow(BenchUsageError);
  });
});
