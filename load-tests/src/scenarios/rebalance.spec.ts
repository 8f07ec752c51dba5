import { summarizeRebalance } from './rebalance';

const t0 = 1_000_000;
const sample = (atS: number, counts: number[], moved: number[]) => ({
  atMs: t0 + atS * 1000,
  nodes: Object.fromEntries(counts.map((sockets, i) => [`server-${i + 1}`, { sockets, moved: moved[i] ?? 0 }])),
});

describe('summarizeRebalance', () => {
  const at = { t0, scaleStartMs: t0 + 20_000, scaleReadyMs: t0 + 25_000, nodes: 4 };

  it('reads when the nodes were balanced for good, the fastest move, and p99 during the move against before', () => {
    const samples = [
      sample(19, [1000, 1000], [0, 0]),
      sample(25, [990, 990, 20, 0], [10, 10, 0, 0]),
      sample(26, [980, 980, 20, 20], [20, 20, 0, 0]),
      // Balanced once, then not (a node restarted): only the last streak counts.
      sample(40, [500, 480, 520, 500], [500, 520, 0, 0]),
      sample(41, [600, 400, 500, 500], [500, 520, 0, 0]),
      sample(50, [505, 495, 500, 500], [500, 520, 0, 0]),
      sample(60, [505, 495, 500, 500], [500, 520, 0, 0]),
    ];
    const windows = [
      { atS: 0, count: 10, p50Ms: 400, p99Ms: 900 },
      { atS: 5, count: 10, p50Ms: 40, p99Ms: 100 },
      { atS: 10, count: 10, p50Ms: 40, p99Ms: 120 },
      { atS: 15, count: 10, p50Ms: 40, p99Ms: 110 },
      { atS: 20, count: 10, p50Ms: 40, p99Ms: 150 },
      { atS: 45, count: 10, p50Ms: 40, p99Ms: 330 },
      { atS: 55, count: 10, p50Ms: 40, p99Ms: 200 },
    ];
    expect(summarizeRebalance(samples, windows, at)).toEqual({
      scaleTookS: 5,
      balancedAfterS: 25,
      finalSockets: { 'server-1': 505, 'server-2': 495, 'server-3': 500, 'server-4': 500 },
      moved: 1020,
      // server-2: 500 of its 980 sockets over the 14 s from 26 to 40
      maxMovedSharePerSecond: 0.0364,
      steadyWindowP99Ms: 110,
      movingWindowP99Ms: 330,
      movingOverSteadyP99: 3,
    });
  });

  it('says never when the nodes did not end balanced, and takes every window after the scale-out as moving', () => {
    const samples = [sample(19, [1000, 1000], [0, 0]), sample(30, [900, 900, 100, 100], [100, 100, 0, 0])];
    const windows = [
      { atS: 10, count: 10, p50Ms: 40, p99Ms: 100 },
      { atS: 60, count: 10, p50Ms: 40, p99Ms: 90 },
    ];
    expect(summarizeRebalance(samples, windows, at)).toMatchObject({
      balancedAfterS: null,
      movingWindowP99Ms: 90,
      movingOverSteadyP99: 0.9,
    });
  });
});
