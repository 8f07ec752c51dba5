import { deriveUnitCosts, type MeasuredRun } from './capacity-costs';
import soakFixture from './soak-9900-benchmarks.fixture.json';

const soak: MeasuredRun = { name: 'soak 9,900', summary: soakFixture, setup: soakFixture.setup };

describe('deriveUnitCosts', () => {
  it('reads the soak: CPU per frame and per transition, RSS per socket and per node, rows per task', () => {
    const c = deriveUnitCosts([soak]);
    expect(c.nodeCpuMsPerFrame.value).toBeCloseTo(84_300 / 1_198_934, 6); // 0.0703 ms
    expect(c.haproxyCpuMsPerFrame.value).toBeCloseTo(27_800 / 1_198_934, 6); // 0.0232 ms
    expect(c.postgresCpuMsPerTransition.value).toBeCloseTo(11_100 / (1.21 * 595.3), 6); // 15.4 ms
    expect(c.rssPerSocketKB.value).toBe(14.61);
    expect(c.nodeBaseRssMB.value).toBeCloseTo((500_531 - 14.61 * 9_900) / 1024 / 2, 6); // 173.8 MB
    expect(c.rowsPerTask.value).toBeCloseTo(949_410 / (120 * 990), 6); // 7.99
    expect(c.framesPerDelivery.value).toBeCloseTo(1_198_934 / 949_410, 6);
  });

  it('takes each cost from the run with the most sockets, frames or transitions behind it', () => {
    const small: MeasuredRun = {
      name: 'small',
      setup: { orgs: 5, nodes: 2 },
      summary: {
        ...soak.summary,
        connected: 300,
        rssPerSocketKB: 99,
        frames: 5_000_000,
        cpuSecondsByComponent: { nodes: 5_000 },
        drive: undefined,
      },
    };
    const c = deriveUnitCosts([small, soak]);
    expect(c.rssPerSocketKB).toEqual({ value: 14.61, from: 'soak 9,900' });
    expect(c.nodeCpuMsPerFrame).toEqual({ value: 1, from: 'small' });
    expect(c.rowsPerTask.from).toBe('soak 9,900');
    expect(() => deriveUnitCosts([small])).toThrow(/no run measures redis CPU per transition/);
  });
});

describe('Redis costs', () => {
  it('are absent when no run read Redis counters, and per broadcast per node when one did', () => {
    expect(deriveUnitCosts([soak]).redisOutBytesPerPublishPerNode).toBeUndefined();
    // 720 transitions (1.21/s × 595.3 s), 1,440 broadcasts, 28.8 MB out to 2 nodes: 10,000 B per broadcast per node.
    const measured: MeasuredRun = {
      ...soak,
      name: 'with redis',
      summary: { ...soak.summary, redis: { netOutputBytes: 28_800_000, publishes: 1440 } },
    };
    const c = deriveUnitCosts([soak, measured]);
    expect(c.redisOutBytesPerPublishPerNode).toEqual({ value: 10_000, from: 'with redis' });
    expect(c.publishesPerTransition!.value).toBeCloseTo(1440 / (1.21 * 595.3), 6);
  });
});

describe('PostgreSQL costs', () => {
  it('are rows inserted, updated and deleted per transition, absent when no run read pg_stat_database', () => {
    expect(deriveUnitCosts([soak]).pgRowsWrittenPerTransition).toBeUndefined();
    const postgres = { rowsInserted: 1000, rowsUpdated: 2000, rowsDeleted: 600 };
    const c = deriveUnitCosts([{ ...soak, name: 'with pg', summary: { ...soak.summary, postgres } }]);
    expect(c.pgRowsWrittenPerTransition!.value).toBeCloseTo(3600 / (1.21 * 595.3), 6);
    expect(c.pgRowsWrittenPerTransition!.from).toBe('with pg');
  });
});
