import type { Measurement } from '../measure/phase';
import { parseBenchArgs } from '../options';
import { markdownReport, RSS_NOISE_FLOOR_KB, rssPerSocketCell, summarize } from './summary';

const measurement = (over: Partial<Measurement>): Measurement => ({
  label: 'product',
  sockets: 300,
  connected: 300,
  connectErrors: 0,
  connectErrorSamples: [],
  connectP50Ms: 3,
  connectP95Ms: 5,
  connectP99Ms: 8,
  joinP50Ms: 1,
  joinP95Ms: 2,
  joinP99Ms: 3,
  joinSteadyP50Ms: null,
  joinSteadyP99Ms: null,
  joinProbe: null,
  connectAllMs: 1200,
  durationS: 8,
  deliveries: 1000,
  deliveriesPerSec: 125,
  frames: 1000,
  framesPerSec: 125,
  lost: 0,
  duplicated: 0,
  outOfOrder: 0,
  p50Ms: 4,
  p95Ms: 9,
  p99Ms: 12,
  maxMs: 20,
  unexpectedCloses: 0,
  rssPerSocketKB: 20,
  cpuSecondsByComponent: {},
  rssKBByComponent: {},
  eventLoopLag: null,
  healthCheckFailures: null,
  health: null,
  ...over,
});

describe('RSS per socket in the report', () => {
  it('is "below the noise floor" when the servers shrank, or grew by less than a garbage collection moves them', () => {
    expect(rssPerSocketCell({ rssPerSocketKB: -21.34, connected: 300 })).toBe('below the noise floor');
    expect(rssPerSocketCell({ rssPerSocketKB: 0, connected: 300 })).toBe('below the noise floor');
    // 300 sockets × 20 KB = 6,000 KB: within the 8 MB noise.
    expect(RSS_NOISE_FLOOR_KB).toBe(8192);
    expect(rssPerSocketCell({ rssPerSocketKB: 20, connected: 300 })).toBe('below the noise floor');
  });

  it('is the figure once the growth is above the noise', () => {
    expect(rssPerSocketCell({ rssPerSocketKB: 16.42, connected: 9000 })).toBe('16.42');
    expect(rssPerSocketCell({ rssPerSocketKB: 30, connected: 300 })).toBe('30');
    expect(rssPerSocketCell({ rssPerSocketKB: null, connected: 0 })).toBe('–');
  });

  it('is what the smoke table shows (the JSON line keeps the measured number)', () => {
    const table = markdownReport(parseBenchArgs(['smoke']), { product: measurement({ rssPerSocketKB: -21.34 }) }, 'Machine: test.');
    expect(table).toContain('| RSS per socket (server) KB | below the noise floor |');
    expect(table).not.toContain('-21.34');
  });
});

describe('the JSON summary', () => {
  it("records the run's setup, which the capacity model divides its per-org and per-node figures by", () => {
    const opts = parseBenchArgs(['soak', '--sockets', '9900', '--users', '200', '--orgs', '7', '--nodes', '3', '--connect-rate', '800']);
    expect(summarize(opts, { product: measurement({}) }).setup).toEqual({ orgs: 7, users: 200, nodes: 3, workers: 1, connectRate: 800 });
  });

  it("carries Redis's and PostgreSQL's counters over the window, and null where they were not read", () => {
    const redis = { netInputBytes: 1_000, netOutputBytes: 9_000, commands: 40, publishes: 6 };
    expect(summarize(parseBenchArgs(['soak']), { product: measurement({ redis }) }).redis).toEqual(redis);
    expect(summarize(parseBenchArgs(['soak']), { product: measurement({}) }).redis).toBeNull();
    const postgres = { commits: 30, rowsInserted: 12, rowsUpdated: 18, rowsDeleted: 0 };
    expect(summarize(parseBenchArgs(['soak']), { product: measurement({ postgres }) }).postgres).toEqual(postgres);
  });
});
