import { parseRedisInfo, redisDelta } from './redis-counters';

const INFO = [
  '# Stats',
  'total_connections_received:12',
  'total_commands_processed:5000',
  'total_net_input_bytes:123456',
  'total_net_output_bytes:654321',
  '# Commandstats',
  'cmdstat_publish:calls=40,usec=120,usec_per_call=3.00,rejected_calls=0,failed_calls=0',
  'cmdstat_spublish:calls=2,usec=6,usec_per_call=3.00,rejected_calls=0,failed_calls=0',
  'cmdstat_evalsha:calls=900,usec=9000,usec_per_call=10.00,rejected_calls=0,failed_calls=0',
].join('\r\n');

describe('Redis counters', () => {
  it("reads bytes in and out, commands, and PUBLISH + SPUBLISH calls from INFO's CRLF text", () => {
    expect(parseRedisInfo(INFO)).toEqual({ netInputBytes: 123_456, netOutputBytes: 654_321, commands: 5000, publishes: 42 });
    expect(parseRedisInfo(INFO.replace(/cmdstat_s?publish.*\r\n/g, '')).publishes).toBe(0);
    expect(() => parseRedisInfo('# Stats\r\n')).toThrow('Redis INFO has no total_net_input_bytes');
  });

  it('gives the growth, or null when a reading is missing or a counter went back (Redis restarted)', () => {
    const a = parseRedisInfo(INFO);
    const b = { netInputBytes: 223_456, netOutputBytes: 854_321, commands: 5100, publishes: 50 };
    expect(redisDelta(a, b)).toEqual({ netInputBytes: 100_000, netOutputBytes: 200_000, commands: 100, publishes: 8 });
    expect(redisDelta(a, null)).toBeNull();
    expect(redisDelta(b, a)).toBeNull();
  });
});
