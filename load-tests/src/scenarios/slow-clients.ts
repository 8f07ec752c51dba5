import type { SocketPlan } from '../client/messages';
import { round2, sampleComponents } from '../sample/proc-sampler';
import { dashboardPlans, type ScenarioContext } from './context';
import { productPhase, type PhaseResult } from './product-phase';

/**
 * `share` of the plans made slow readers, spread evenly over them (so over the orgs and users too): every other one
 * paused (reads nothing after its join), the rest reading `kbps` kbit/s. At least one when `share` > 0.
 */
export function withSlowReaders(plans: SocketPlan[], share: number, kbps: number): SocketPlan[] {
  const count = share > 0 ? Math.min(plans.length, Math.max(1, Math.round(plans.length * share))) : 0;
  if (!count) return plans;
  const step = plans.length / count;
  const slow = new Map<number, number>();
  for (let k = 0; k < count; k++) slow.set(Math.floor(k * step), k % 2 === 0 ? 0 : Math.round((kbps * 1000) / 8));
  return plans.map((p, i) => (slow.has(i) ? { ...p, slowBytesPerSec: slow.get(i)! } : p));
}

/** The nodes' RSS now, in KB (null when the harness does not know their pids: a --url run without DATA_DIR). */
function nodesRssKB(ctx: ScenarioContext): number | null {
  const nodes = ctx.components(() => []).nodes;
  if (!nodes || !nodes.pids().length) return null;
  return sampleComponents({ nodes }).nodes?.rssKB ?? null;
}

/** The nodes' counters of sockets that fell behind and broadcasts skipped (summed over the nodes). */
async function fellBehindCounters(ctx: ScenarioContext): Promise<{ fellBehind: number; skippedWrites: number } | null> {
  try {
    const texts = await Promise.all(
      (await ctx.metricsUrls()).map(async (u) => (await fetch(u, { signal: AbortSignal.timeout(5000) })).text()),
    );
    const total = (name: string) => texts.reduce((n, t) => n + Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(t)?.[1] ?? 0), 0);
    return { fellBehind: total('taskflow_socket_fell_behind_total'), skippedWrites: total('taskflow_socket_broadcasts_skipped_total') };
  } catch {
    return null;
  }
}

const ratio = (a: number | null, b: number | null) => (a !== null && b ? round2(a / b) : null);

/**
 * The same load twice, on the same cluster: every socket reading at full speed, then with `--slow-share` of them
 * slow. The others' p99 with the slow ones over the run without them is `ratios.othersP99VsBaseline`; the nodes'
 * RSS is read before and after each run (flat: a slow socket's buffer is bounded by WEBSOCKET_MAX_BUFFERED_BYTES).
 */
export async function slowClients(ctx: ScenarioContext) {
  const { sockets, rate, durationS, slowShare, slowKbps } = ctx.opts;
  const plans = dashboardPlans(ctx, sockets);
  const run = async (label: string, p: SocketPlan[]) => {
    const rssBeforeKB = nodesRssKB(ctx);
    const countersBefore = await fellBehindCounters(ctx);
    const phase: PhaseResult = await productPhase(ctx, { label, plans: p, rate, durationS, joinProbe: false });
    const countersAfter = await fellBehindCounters(ctx);
    const counters =
      countersBefore && countersAfter
        ? {
            fellBehind: countersAfter.fellBehind - countersBefore.fellBehind,
            skippedWrites: countersAfter.skippedWrites - countersBefore.skippedWrites,
          }
        : null;
    return { ...phase, rssBeforeKB, rssAfterKB: nodesRssKB(ctx), counters };
  };
  const without = await run('product, no slow sockets', plans);
  const slowPlans = withSlowReaders(plans, slowShare, slowKbps);
  const slowCount = slowPlans.filter((p) => p.slowBytesPerSec !== undefined).length;
  ctx.log(`slow-clients: ${slowCount} of ${sockets} socket(s) read slowly (half paused, half at ${slowKbps} kbit/s)`);
  const withSlow = await run(`product, ${slowCount} slow sockets`, slowPlans);
  const rss = (r: typeof without) => ({
    beforeKB: r.rssBeforeKB,
    afterKB: r.rssAfterKB,
    grewKB: r.rssBeforeKB !== null && r.rssAfterKB !== null ? r.rssAfterKB - r.rssBeforeKB : null,
  });
  const others = withSlow.product;
  return {
    product: others,
    drive: withSlow.drive,
    extraColumns: [without.product],
    ratios: { othersP99VsBaseline: ratio(others.p99Ms, without.product.p99Ms) },
    notes: [
      `Others' p99 ${others.p99Ms ?? '–'} ms with ${slowCount} slow socket(s), ${without.product.p99Ms ?? '–'} ms without ` +
        `(${ratio(others.p99Ms, without.product.p99Ms) ?? '–'}×); lost/duplicated/out of order ${others.lost}/${others.duplicated}/${others.outOfOrder}.`,
      `Nodes' RSS: ${rss(without).beforeKB ?? '–'} → ${rss(without).afterKB ?? '–'} KB without, ${rss(withSlow).beforeKB ?? '–'} → ` +
        `${rss(withSlow).afterKB ?? '–'} KB with the slow sockets.`,
      `Fell behind: ${withSlow.counters?.fellBehind ?? '–'} time(s) on the nodes (${withSlow.counters?.skippedWrites ?? '–'} writes ` +
        `skipped); slow sockets told ${others.slow?.fellBehind ?? 0}, others told ${others.slow?.othersFellBehind ?? 0}.`,
    ],
    extra: {
      slowSockets: slowCount,
      slowShare,
      slowKbps,
      maxBufferedBytes: ctx.opts.maxBufferedBytes ?? 'server default',
      baselineP99Ms: without.product.p99Ms,
      othersP99Ms: others.p99Ms,
      others: {
        lost: others.lost,
        duplicated: others.duplicated,
        outOfOrder: others.outOfOrder,
        unexpectedCloses: others.unexpectedCloses,
      },
      baselineRun: { lost: without.product.lost, duplicated: without.product.duplicated, outOfOrder: without.product.outOfOrder },
      slow: others.slow ?? null,
      nodesFellBehind: withSlow.counters,
      nodesFellBehindWithoutSlow: without.counters,
      nodesRss: { withoutSlow: rss(without), withSlow: rss(withSlow) },
    },
  };
}
