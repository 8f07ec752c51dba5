import { deriveUnitCosts, type MeasuredRun, type UnitCosts } from './capacity-costs';
import { DEFAULT_LIMITS, DEFAULT_WORKLOAD, predictRun, size, traffic } from './capacity-model';
import soakFixture from './soak-9900-benchmarks.fixture.json';

const soak: MeasuredRun = { name: 'soak 9,900', summary: soakFixture, setup: soakFixture.setup };

const at = (value: number) => ({ value, from: 'test' });
/** Round numbers, so each expectation below can be worked out by hand. */
const costs = (over: Partial<Record<keyof UnitCosts, number>> = {}): UnitCosts => {
  const base = {
    rssPerSocketKB: 10,
    nodeBaseRssMB: 200,
    nodeCpuMsPerFrame: 0.1,
    haproxyCpuMsPerFrame: 0.02,
    redisCpuMsPerTransition: 5,
    postgresCpuMsPerTransition: 10,
    workerCpuMsPerTransition: 10,
    framesPerDelivery: 1,
    rowsPerTask: 8,
    ...over,
  };
  return Object.fromEntries(Object.entries(base).map(([k, v]) => [k, at(v)])) as unknown as UnitCosts;
};

const within = (actual: number, expected: number, tolerance: number) => {
  expect(Math.abs(actual / expected - 1)).toBeLessThanOrEqual(tolerance);
};

describe('traffic', () => {
  it('is users × task rate × rows per task × the sockets of an org', () => {
    // 100,000 sockets / 2 per user = 50,000 users; 1 task/s per 1,000 → 50 tasks/s; × 6 = 300 transitions/s;
    // × 8 rows × 100 sockets per org = 40,000 rows delivered/s; × 1.25 frames each = 50,000 frames/s.
    const t = traffic(100_000, DEFAULT_WORKLOAD, costs({ framesPerDelivery: 1.25 }));
    expect(t).toEqual({
      sockets: 100_000,
      users: 50_000,
      tasksPerSec: 50,
      transitionsPerSec: 300,
      deliveriesPerSec: 40_000,
      framesPerSec: 50_000,
    });
  });

  it('never fans a row out to more sockets than there are', () => {
    expect(traffic(50, { ...DEFAULT_WORKLOAD, socketsPerOrg: 100 }, costs()).deliveriesPerSec).toBeCloseTo(0.025 * 8 * 50);
  });
});

describe('size', () => {
  it('counts each tier from its unit costs and names the limit that asks for the most', () => {
    // 50,000 frames/s × 0.1 ms = 5 node cores → 10 nodes at 0.5 of a core; memory 100,000 × 10 KB = 977 MB over
    // (2,048 × 0.8 − 200) MB per node → 1; descriptors 100,000 / (65,536 × 0.9) → 2.
    const s = size(100_000, DEFAULT_WORKLOAD, DEFAULT_LIMITS, costs({ framesPerDelivery: 1.25 }));
    expect(s.nodes.needs.map((n) => [n.limit, n.count])).toEqual([
      ['redundancy (minimum instances)', 2],
      ['node CPU', 10],
      ['node memory', 1],
      ['node descriptors', 2],
    ]);
    expect(s.nodes).toMatchObject({ count: 10, binding: 'node CPU' });
    expect(s.perNode).toEqual({ sockets: 10_000, rssMB: 200 + 97.65625, cpuCores: 0.5 });
    // HAProxy: 50,000 × 0.02 ms = 1 core of 4 × 0.5; 100,000 connections of 180,000.
    expect(s.loadBalancers).toMatchObject({ count: 2, binding: 'redundancy (minimum instances)' });
    // 300 transitions/s: Redis 1.5 cores → 3 shards; workers 3 cores → 6; PostgreSQL 3 cores → 6 at 0.5, 600 tx/s.
    expect(s.redisShards).toMatchObject({ count: 3, binding: 'Redis CPU (one core per shard)' });
    expect(s.workers).toMatchObject({ count: 6, binding: 'worker CPU (one core each)' });
    // Connections: 10 nodes × 10 + 6 workers × 5.
    expect(s.postgres).toEqual({ cores: 6, cpuCores: 3, transactionsPerSec: 600, rowsWrittenPerSec: null, connections: 130 });
    // Measured rows written: 300 transitions/s × 4.
    expect(size(100_000, DEFAULT_WORKLOAD, DEFAULT_LIMITS, costs({ pgRowsWrittenPerTransition: 4 })).postgres.rowsWrittenPerSec).toBe(1200);
  });

  it('is bound by memory when sockets are heavy, by descriptors when memory is large, by connections at HAProxy', () => {
    const quiet = { ...DEFAULT_WORKLOAD, tasksPerSecPer1kUsers: 0.01 };
    // 500,000 × 40 KB = 19,531 MB over 1,438 MB per node → 14 nodes; descriptors ask for 9.
    expect(size(500_000, quiet, DEFAULT_LIMITS, costs({ rssPerSocketKB: 40 })).nodes).toMatchObject({ count: 14, binding: 'node memory' });
    const bigNodes = { ...DEFAULT_LIMITS, nodeMemoryMB: 65_536 };
    expect(size(500_000, quiet, bigNodes, costs()).nodes).toMatchObject({ count: 9, binding: 'node descriptors' });
    expect(size(500_000, quiet, bigNodes, costs()).loadBalancers).toMatchObject({ count: 3, binding: 'HAProxy connections (maxconn)' });
  });

  it('keeps the first-listed limit on a tie, so redundancy is named only when nothing else asks for more', () => {
    // 1,000 sockets: 0.5 task/s × 8 rows × 100 sockets = 400 frames/s; at 2.5 ms each, 1 core = 2 nodes at 0.5.
    expect(size(1_000, DEFAULT_WORKLOAD, DEFAULT_LIMITS, costs({ nodeCpuMsPerFrame: 2.5 })).nodes).toMatchObject({
      count: 2,
      binding: 'redundancy (minimum instances)',
    });
    expect(size(1_000, DEFAULT_WORKLOAD, DEFAULT_LIMITS, costs({ nodeCpuMsPerFrame: 3.75 })).nodes).toMatchObject({
      count: 3,
      binding: 'node CPU',
    });
  });

  it('adds Redis network out when a run measured it: every broadcast goes out once per subscribed node', () => {
    // 300 transitions/s × 2 broadcasts × 50,000 B × 10 nodes = 300 MB/s over 125 × 0.5 MB/s per shard → 5 (CPU asks 3).
    const s = size(
      100_000,
      DEFAULT_WORKLOAD,
      DEFAULT_LIMITS,
      costs({ framesPerDelivery: 1.25, redisOutBytesPerPublishPerNode: 50_000, publishesPerTransition: 2 }),
    );
    expect(s.redisShards).toMatchObject({ count: 5, binding: 'Redis network out' });
    expect(s.redisShards.needs[2]!.load).toBeCloseTo(300);
    expect(size(100_000, DEFAULT_WORKLOAD, DEFAULT_LIMITS, costs()).redisShards.needs.map((n) => n.limit)).toEqual([
      'one shard',
      'Redis CPU (one core per shard)',
    ]);
  });

  it('refuses a node whose base RSS leaves no room for sockets', () => {
    expect(() => size(1_000, DEFAULT_WORKLOAD, { ...DEFAULT_LIMITS, nodeMemoryMB: 200 }, costs())).toThrow(/no memory for sockets/);
  });
});

describe('the 9,900-socket soak, predicted from its recorded inputs (docs/benchmarks.md)', () => {
  // Its setup as typed: 9,900 sockets, 200 users, 0.2 task/s (the soak's default), 10 orgs, 2 nodes.
  const inputs = { sockets: 9_900, users: 200, tasksPerSec: 0.2, orgs: 10, nodes: 2 };
  const measured = {
    deliveriesPerSec: 949_410 / 595.3,
    framesPerSec: 2_014,
    nodesCpuCores: 84.3 / 595.3,
    haproxyCpuCores: 27.8 / 595.3,
    rssPerNodeMB: 488.8 / 2,
  };

  it('matches the rows, frames, CPU and RSS measured, within 2 %', () => {
    const p = predictRun(inputs, deriveUnitCosts([soak]));
    // The nominal 0.2 task/s against the 0.2016 driven: 0.8 % fewer rows predicted than delivered.
    within(p.deliveriesPerSec, measured.deliveriesPerSec, 0.02);
    within(p.framesPerSec, measured.framesPerSec, 0.02);
    within(p.nodesCpuCores, measured.nodesCpuCores, 0.02);
    within(p.haproxyCpuCores, measured.haproxyCpuCores, 0.02);
    within(p.rssPerNodeMB, measured.rssPerNodeMB, 0.02);
  });

  it('matches the nodes RSS within 5 % with the RSS per socket of another run (connect --sockets 9000, quiet: 16.42 KB)', () => {
    const p = predictRun(inputs, { ...deriveUnitCosts([soak]), rssPerSocketKB: at(16.42) });
    within(p.rssPerNodeMB, measured.rssPerNodeMB, 0.05);
    expect(p.rssPerNodeMB).toBeGreaterThan(measured.rssPerNodeMB);
  });

  it('sizes that load at the 2 nodes it ran on, with CPU for one: inside every limit', () => {
    const workload = { ...DEFAULT_WORKLOAD, socketsPerUser: 49.5, tasksPerSecPer1kUsers: 1, socketsPerOrg: 990 };
    const s = size(9_900, workload, DEFAULT_LIMITS, deriveUnitCosts([soak]));
    expect(s.nodes).toMatchObject({ count: 2, binding: 'redundancy (minimum instances)' });
    expect(s.nodes.needs.find((n) => n.limit === 'node CPU')!.count).toBe(1);
    within(s.perNode.cpuCores * 2, measured.nodesCpuCores, 0.02);
  });
});
