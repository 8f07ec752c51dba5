import type { WindowQuantiles } from '../stats/windowed-latency';
import { dashboardPlans, type ScenarioContext } from './context';
import { clusterCtl } from './cluster-ctl';
import { sampleNodes } from './node-sampler';
import { productPhase } from './product-phase';
import type { ScenarioOutcome } from './scenarios';

const SNAPSHOT_READS = 'taskflow_dashboard_snapshot_reads_total';

interface NodeReading {
  atMs: number;
  sockets: Record<string, number>;
  /** taskflow_dashboard_snapshot_reads_total per node (a restarted node starts again from 0). */
  snapshotReads: Record<string, number>;
}

const total = (r: Pick<NodeReading, 'sockets'>) => Object.values(r.sockets).reduce((a, n) => a + n, 0);

/**
 * Snapshot reads over consecutive readings, node by node: a counter lower than at its previous reading is a node that
 * restarted in between, counted from 0 (a rolling restart restarts every node, so the first and last readings alone
 * would miss whatever the old processes read); a node first seen after the first reading counts from 0.
 */
function readsDuring(readings: readonly NodeReading[]): number {
  const previous = new Map<string, number>();
  let sum = 0;
  readings.forEach((r, i) => {
    for (const [name, n] of Object.entries(r.snapshotReads)) {
      const prev = previous.get(name);
      if (prev !== undefined) sum += n >= prev ? n - prev : n;
      else if (i > 0) sum += n;
      previous.set(name, n);
    }
  });
  return sum;
}

/**
 * The storm's figures: every socket back when the generator's last reconnect joined again (close → joined, its
 * slowest), the snapshot reads PostgreSQL served from the kill to the end (no other joins happen meanwhile: the join
 * probe is off), and the delivery p99 of the windows from the kill until every socket was back, against before it.
 */
export function summarizeStorm(
  readings: NodeReading[],
  windows: WindowQuantiles[],
  at: { t0: number; killMs: number; endMs?: number; slowestReconnectMs: number | null; pending: number },
) {
  const before = [...readings].reverse().find((r) => r.atMs < at.killMs);
  const last = readings.at(-1);
  const held = before ? total(before) : 0;
  const lowest = readings.filter((r) => r.atMs >= at.killMs).reduce((m, r) => Math.min(m, total(r)), held);
  // A rolling restart closes sockets until its end: the last one back at the latest its slowest reconnect after that.
  const backMs = at.pending === 0 && at.slowestReconnectMs !== null ? (at.endMs ?? at.killMs) + at.slowestReconnectMs : undefined;
  const rel = (ms: number) => (ms - at.t0) / 1000;
  const steady = windows.filter((w) => w.atS > 0 && w.atS + 5 <= rel(at.killMs));
  const storm = windows.filter((w) => w.atS + 5 > rel(at.killMs) && w.atS <= rel(backMs ?? Number.POSITIVE_INFINITY));
  const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : null);
  const steadyP99 = median(steady.map((w) => w.p99Ms));
  const stormP99 = storm.length ? Math.max(...storm.map((w) => w.p99Ms)) : null;
  return {
    socketsBefore: held,
    socketsCut: held - lowest,
    allBackAfterS: backMs === undefined ? null : Math.round((backMs - at.killMs) / 100) / 10,
    snapshotReadsDuringStorm: before && last && last !== before ? readsDuring(readings.slice(readings.indexOf(before))) : null,
    steadyWindowP99Ms: steadyP99,
    stormWindowP99Ms: stormP99,
    stormOverSteadyP99: steadyP99 && stormP99 !== null ? Math.round((stormP99 / steadyP99) * 100) / 100 : null,
  };
}

/**
 * Storm-proof reconnects: dashboards held on the cluster while tasks run; --kill-after s into the window one server
 * node (the first) is SIGKILLed. Its sockets come back through HAProxy with the client library's jittered backoff and
 * join again; the supervisor restarts the node meanwhile. Reported: when every socket was back, the snapshot reads
 * PostgreSQL served for the storm against the distinct users, whether HAProxy marked a surviving node DOWN, and the
 * delivery p99 per window during the storm against before it (windows hold every socket's deliveries).
 */
export async function reconnectStorm(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  if (!ctx.cluster) throw new Error('reconnect-storm kills a node of the cluster it starts: run it without --url');
  const sampler = sampleNodes(ctx, [SNAPSHOT_READS], 500);
  const at = { t0: 0, killMs: 0, endMs: 0 };
  let victim = '';
  let restartCode: number | null = null;
  const plans = dashboardPlans(ctx, ctx.opts.sockets).map((p) => ({ ...p, reconnect: true }));
  const what = ctx.opts.restart ? 'a rolling restart' : 'one SIGKILLed';
  try {
    const { product, drive } = await productPhase(ctx, {
      label: `product, ${ctx.opts.nodes} nodes, ${what}`,
      plans,
      rate: ctx.opts.rate,
      durationS: ctx.opts.durationS,
      windowed: true,
      // Its fresh sockets would be counted with the storm's joins and sockets.
      joinProbe: false,
      during: async () => {
        at.t0 = Date.now();
        await new Promise((r) => setTimeout(r, ctx.opts.killAfterS * 1000));
        at.killMs = Date.now();
        if (ctx.opts.restart) {
          victim = 'every node';
          ctx.log('rolling restart (cluster:ctl restart)');
          restartCode = await clusterCtl(ctx, ['restart']);
          ctx.log(`restarted (exit ${restartCode}) after ${((Date.now() - at.killMs) / 1000).toFixed(1)} s`);
        } else {
          const node = ctx.cluster!.state().nodes[0]!;
          if (!node.pid) throw new Error(`${node.name} has no pid in stack.json`);
          victim = node.name;
          ctx.log(`SIGKILL ${node.name} (pid ${node.pid})`);
          process.kill(node.pid, 'SIGKILL');
        }
        at.endMs = Date.now();
      },
    });
    const readings: NodeReading[] = sampler.readings.map((r) => ({
      atMs: r.atMs,
      sockets: Object.fromEntries(Object.entries(r.nodes).map(([name, n]) => [name, n.sockets])),
      snapshotReads: Object.fromEntries(Object.entries(r.nodes).map(([name, n]) => [name, n.counters[SNAPSHOT_READS] ?? 0])),
    }));
    const summary = summarizeStorm(readings, product.latencyByWindow ?? [], {
      ...at,
      slowestReconnectMs: product.reconnects?.maxMs ?? null,
      pending: product.reconnects?.pending ?? 0,
    });
    const users = new Set(plans.map((p) => p.token)).size;
    // HAProxy's check-driven DOWN lines naming another node than the one killed.
    const survivorsDown = ctx.opts.restart
      ? (product.health?.down ?? 0)
      : (product.health?.samples ?? []).filter((l) => /is DOWN/.test(l) && !l.includes(`/${victim} `)).length;
    return {
      product,
      drive,
      notes: [
        `${ctx.opts.restart ? `rolling restart (exit ${restartCode}, ${Math.round((at.endMs - at.killMs) / 100) / 10} s)` : `SIGKILL ${victim}`}: ` +
          `${summary.socketsCut} of ${summary.socketsBefore} sockets cut at once at most; every socket back ` +
          `${summary.allBackAfterS === null ? 'never' : `${summary.allBackAfterS} s after the ${ctx.opts.restart ? 'restart began' : 'kill'}`} ` +
          `(reconnect p50 / p99 ${product.reconnects?.p50Ms} / ${product.reconnects?.p99Ms} ms, ${product.reconnects?.pending ?? 0} not back; ` +
          `${product.repeatedAcrossReconnect ?? 0} rows seen again on the new connection, dropped by seq); ` +
          `${summary.snapshotReadsDuringStorm} snapshot reads for ${users} users; ${ctx.opts.restart ? 'nodes marked DOWN by checks' : 'surviving nodes marked DOWN'} ${survivorsDown} time(s); ` +
          `window p99 ${summary.stormWindowP99Ms} ms during the storm vs ${summary.steadyWindowP99Ms} ms before (${summary.stormOverSteadyP99}×)`,
      ],
      extra: { storm: { ...summary, victim, users, survivorsDown, restartExitCode: restartCode } },
      ratios: { stormOverSteadyP99: summary.stormOverSteadyP99 },
    };
  } finally {
    sampler.stop();
  }
}
