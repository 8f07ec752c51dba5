import { summarizeStorm } from './reconnect-storm';

const t0 = 1_000_000;
const reading = (atS: number, sockets: number[], reads: number[]) => ({
  atMs: t0 + atS * 1000,
  sockets: Object.fromEntries(sockets.map((n, i) => [`server-${i + 1}`, n])),
  snapshotReads: Object.fromEntries(reads.map((n, i) => [`server-${i + 1}`, n])),
});

describe('summarizeStorm', () => {
  const at = { t0, killMs: t0 + 20_000, slowestReconnectMs: 6000, pending: 0 };

  it('reads when every socket was back, what the storm cost PostgreSQL, and p99 during it against before', () => {
    const readings = [
      reading(19, [1000, 1000], [100, 100]),
      // server-1 is gone from the readings, then back (restarted: its counter starts from 0)
      reading(21, [1200], [140]),
      reading(24, [1900, 50], [170, 5]),
      reading(26, [1950, 50], [171, 5]),
      reading(40, [1950, 50], [180, 9]),
    ];
    const windows = [
      { atS: 0, count: 9, p50Ms: 300, p99Ms: 900 },
      { atS: 5, count: 9, p50Ms: 30, p99Ms: 80 },
      { atS: 10, count: 9, p50Ms: 30, p99Ms: 100 },
      { atS: 15, count: 9, p50Ms: 30, p99Ms: 90 },
      { atS: 20, count: 9, p50Ms: 30, p99Ms: 180 },
      { atS: 25, count: 9, p50Ms: 30, p99Ms: 120 },
      { atS: 30, count: 9, p50Ms: 30, p99Ms: 400 },
    ];
    expect(summarizeStorm(readings, windows, at)).toEqual({
      socketsBefore: 2000,
      socketsCut: 800,
      allBackAfterS: 6,
      // server-2: 180 − 100; server-1 restarted: 9 from 0
      snapshotReadsDuringStorm: 89,
      steadyWindowP99Ms: 90,
      stormWindowP99Ms: 180,
      stormOverSteadyP99: 2,
    });
  });

  it("counts the reads of a rolling restart across each node's restart, not only first against last", () => {
    const readings = [
      reading(19, [1000, 1000], [100, 100]),
      reading(21, [1000, 1000], [120, 100]),
      // server-1 restarted (its counter from 0), then server-2
      reading(23, [400, 1600], [3, 110]),
      reading(25, [900, 100], [10, 2]),
      reading(27, [1000, 1000], [12, 8]),
    ];
    // server-1: 20 + 3 + 7 + 2; server-2: 0 + 10 + 2 + 6 (first against last would say 12 + 8)
    expect(summarizeStorm(readings, [], at).snapshotReadsDuringStorm).toBe(50);
  });

  it('says never when some sockets did not come back, and takes every window after the kill as the storm', () => {
    const readings = [reading(19, [1000, 1000], [0, 0]), reading(30, [1500], [50])];
    const windows = [
      { atS: 10, count: 9, p50Ms: 30, p99Ms: 100 },
      { atS: 50, count: 9, p50Ms: 30, p99Ms: 70 },
    ];
    expect(summarizeStorm(readings, windows, { ...at, pending: 3 })).toMatchObject({
      allBackAfterS: null,
      snapshotReadsDuringStorm: 50,
      stormWindowP99Ms: 70,
    });
  });
});
