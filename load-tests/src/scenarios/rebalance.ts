import type { WindowQuantiles } from '../stats/windowed-latency';
import { clusterCtl } from './cluster-ctl';
import { dashboardPlans, type ScenarioContext } from './context';
import { sampleNodes } from './node-sampler';
import { productPhase } from './product-phase';
import type { ScenarioOutcome } from './scenarios';

const MOVED = 'taskflow_socket_rebalanced_total';

/** One reading of every node: sockets held and sockets moved so far (taskflow_socket_rebalanced_total). */
interface NodeSample {
  atMs: number;
  nodes: Record<string, { sockets: number; moved: number }>;
}

const SAMPLE_EVERY_MS = 1000;
/** The moved share per second is read over spans this long. */
const SHARE_SPAN_MS = 5000;
/** "Balanced": every node within this share of the mean. */
const BALANCE_TOLERANCE = 0.1;

const balanced = (s: NodeSample, nodes: number) => {
  const counts = Object.values(s.nodes).map((n) => n.sockets);
  if (counts.length !== nodes) return false;
  const mean = counts.reduce((a, n) => a + n, 0) / nodes;
  return counts.every((n) => Math.abs(n - mean) <= mean * BALANCE_TOLERANCE);
};

/**
 * What a move looked like, from the samples: when every node was within ±10 % of the mean for good, the largest share
 * of its sockets any node moved in one second, and the delivery p99 of the windows during the move against before it.
 */
export function summarizeRebalance(
  samples: NodeSample[],
  windows: WindowQuantiles[],
  at: { t0: number; scaleStartMs: number; scaleReadyMs: number; nodes: number },
) {
  const after = samples.filter((s) => s.atMs >= at.scaleReadyMs);
  let settled: NodeSample | undefined;
  for (const s of after)
    if (!balanced(s, at.nodes)) settled = undefined;
    else settled ??= s;
  // Over spans of at least SHARE_SPAN_MS: one reading's timing jitter (a node slow to answer) would otherwise turn
  // a second's moves into a rate several times too high.
  let maxShare = 0;
  for (let i = 1; i < samples.length; i++) {
    const b = samples[i]!;
    const a = [...samples.slice(0, i)].reverse().find((x) => b.atMs - x.atMs >= SHARE_SPAN_MS);
    if (!a) continue;
    const seconds = (b.atMs - a.atMs) / 1000;
    for (const [name, n] of Object.entries(b.nodes)) {
      const before = a.nodes[name];
      // Of the larger of its two counts: a new node that filled up and shed a few is not judged by its count when empty.
      const held = Math.max(before?.sockets ?? 0, n.sockets);
      if (!before || held === 0 || seconds <= 0) continue;
      maxShare = Math.max(maxShare, (n.moved - before.moved) / held / seconds);
    }
  }
  const rel = (ms: number) => (ms - at.t0) / 1000;
  // Steady: the windows before the scale-out, the first one (the drive warming up) left out.
  const steady = windows.filter((w) => w.atS > 0 && w.atS + 5 <= rel(at.scaleStartMs));
  const moving = windows.filter((w) => w.atS + 5 > rel(at.scaleStartMs) && w.atS <= rel(settled?.atMs ?? Number.POSITIVE_INFINITY));
  const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : null);
  const steadyP99 = median(steady.map((w) => w.p99Ms));
  const movingP99 = moving.length ? Math.max(...moving.map((w) => w.p99Ms)) : null;
  const last = samples.at(-1);
  return {
    scaleTookS: Math.round((at.scaleReadyMs - at.scaleStartMs) / 100) / 10,
    balancedAfterS: settled ? Math.round((settled.atMs - at.scaleReadyMs) / 100) / 10 : null,
    finalSockets: last ? Object.fromEntries(Object.entries(last.nodes).map(([k, v]) => [k, v.sockets])) : {},
    moved: last ? Object.values(last.nodes).reduce((a, n) => a + n.moved, 0) : 0,
    maxMovedSharePerSecond: Math.round(maxShare * 10_000) / 10_000,
    steadyWindowP99Ms: steadyP99,
    movingWindowP99Ms: movingP99,
    movingOverSteadyP99: steadyP99 && movingP99 !== null ? Math.round((movingP99 / steadyP99) * 100) / 100 : null,
  };
}

/**
 * Connections rebalance after a scale-out: the sockets join a cluster of --nodes, tasks run at --rate, and
 * --scale-after seconds in, `npm run cluster:ctl -- scale` takes it to --scale-to nodes. The new nodes start empty;
 * the old ones ask a share of their sockets per second to reconnect (`connection:reconnect`, REBALANCE_* in the
 * environment), which the generator's sockets do at once, as the client library does. Reported: when every node was
 * within ±10 % of the mean, the largest share moved per node per second, delivery p99 per window during the move
 * against before it, and lost / duplicated / out of order over the whole run.
 */
export async function rebalance(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  if (!ctx.cluster) throw new Error('rebalance scales the cluster it starts: run it without --url');
  const sampler = sampleNodes(ctx, [MOVED], SAMPLE_EVERY_MS);
  const at = { t0: 0, scaleStartMs: 0, scaleReadyMs: 0, nodes: ctx.opts.scaleTo };
  let scaleCode: number | null = null;
  try {
    const { product, drive } = await productPhase(ctx, {
      label: `product, ${ctx.opts.nodes} → ${ctx.opts.scaleTo} nodes`,
      plans: dashboardPlans(ctx, ctx.opts.sockets),
      rate: ctx.opts.rate,
      durationS: ctx.opts.durationS,
      windowed: true,
      during: async () => {
        at.t0 = Date.now();
        await new Promise((r) => setTimeout(r, ctx.opts.scaleAfterS * 1000));
        at.scaleStartMs = Date.now();
        ctx.log(`scaling to ${ctx.opts.scaleTo} nodes`);
        scaleCode = await clusterCtl(ctx, ['scale', '--nodes', String(ctx.opts.scaleTo)]);
        at.scaleReadyMs = Date.now();
        ctx.log(`scaled (cluster:ctl exit ${scaleCode}) after ${((at.scaleReadyMs - at.scaleStartMs) / 1000).toFixed(1)} s`);
      },
    });
    const samples: NodeSample[] = sampler.readings.map((r) => ({
      atMs: r.atMs,
      nodes: Object.fromEntries(Object.entries(r.nodes).map(([name, n]) => [name, { sockets: n.sockets, moved: n.counters[MOVED] ?? 0 }])),
    }));
    const summary = summarizeRebalance(samples, product.latencyByWindow ?? [], at);
    const timeline = samples
      .filter((s) => s.atMs >= at.scaleStartMs - 2000)
      .map(
        (s) =>
          `${Math.round((s.atMs - at.scaleStartMs) / 1000)} s: ${Object.values(s.nodes)
            .map((n) => n.sockets)
            .join('/')}`,
      )
      .filter((line, i, all) => i === 0 || line.split(': ')[1] !== all[i - 1]!.split(': ')[1]);
    return {
      product,
      drive,
      notes: [
        `scale ${ctx.opts.nodes} → ${ctx.opts.scaleTo} nodes (cluster:ctl exit ${scaleCode}, ${summary.scaleTookS} s): balanced ±10 % ` +
          `${summary.balancedAfterS === null ? 'never' : `${summary.balancedAfterS} s after the last node was ready`}; ` +
          `${summary.moved} sockets moved (${product.moves ?? 0} seen by the generator, ${product.moveErrors ?? 0} failed, ` +
          `${product.repeatedAcrossReconnect ?? 0} rows seen again after a move, dropped by seq), ` +
          `at most ${(summary.maxMovedSharePerSecond * 100).toFixed(2)} % of a node's sockets per second; ` +
          `window p99 ${summary.movingWindowP99Ms} ms during the move vs ${summary.steadyWindowP99Ms} ms before (${summary.movingOverSteadyP99}×)`,
      ],
      extra: { rebalance: { ...summary, scaleExitCode: scaleCode, timeline } },
      ratios: { movingOverSteadyP99: summary.movingOverSteadyP99 },
    };
  } finally {
    sampler.stop();
  }
}
