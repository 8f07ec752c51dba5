import type { SocketPlan } from '../client/messages';
import type { Measurement } from '../measure/phase';
import type { ScenarioName } from '../options';
import { round2, sampleComponents } from '../sample/proc-sampler';
import { pollingCpu } from './polling-cpu';
import { rebalance } from './rebalance';
import { reconnectStorm } from './reconnect-storm';
import { slowClients } from './slow-clients';
import { webhookToScreen } from './webhook-to-screen';
import { dashboardPlans, sourceAddress, type ScenarioContext } from './context';
import { baselineFor, productPhase, type DriveStats } from './product-phase';

export interface SweepStep {
  rate: number;
  product: Measurement;
  baseline: Measurement | undefined;
  baselineDirect: Measurement | undefined;
}

export interface ScenarioOutcome {
  product: Measurement;
  drive?: DriveStats;
  baseline?: { direct: Measurement; haproxy: Measurement | undefined };
  /** Scenario-specific findings (polling comparison, memory drift, sweep). */
  extra?: Record<string, unknown>;
  sweep?: SweepStep[];
  /** More phases to show as columns of the run's table (polling: pipeline only, polling). */
  extraColumns?: Measurement[];
  /** Lines printed under the run's table. */
  notes?: string[];
  /** Scenario-specific ratios, next to the bare ones in the JSON line's `ratios`. */
  ratios?: Record<string, number | null>;
}

type Scenario = (ctx: ScenarioContext) => Promise<ScenarioOutcome>;

async function dashboardAt(ctx: ScenarioContext, rate: number, label: string): Promise<ScenarioOutcome> {
  const { product, drive } = await productPhase(ctx, {
    label,
    plans: dashboardPlans(ctx, ctx.opts.sockets),
    rate,
    durationS: ctx.opts.durationS,
  });
  const baseline = ctx.opts.baseline ? await baselineFor(ctx, product, ctx.opts.durationS) : undefined;
  return { product, drive, baseline };
}

/** dashboard / storm: one run at --rate, or one per --sweep rate (then the last step is the headline). */
async function driven(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  if (!ctx.opts.sweep.length) return dashboardAt(ctx, ctx.opts.rate, `product, ${ctx.opts.scenario}`);
  const steps: SweepStep[] = [];
  let last: ScenarioOutcome | undefined;
  for (const rate of ctx.opts.sweep) {
    ctx.log(`sweep: ${rate} task(s)/s`);
    last = await dashboardAt(ctx, rate, `product, ${rate} task/s`);
    steps.push({ rate, product: last.product, baseline: last.baseline?.haproxy, baselineDirect: last.baseline?.direct });
  }
  return { ...last!, sweep: steps, extra: { saturation: saturation(steps) } };
}

/** Highest frame rate delivered with p99 ≤ 200 ms and nothing lost, for the product and the baseline behind HAProxy. */
function saturation(steps: SweepStep[]) {
  const best = (pick: (s: SweepStep) => Measurement | undefined) =>
    steps
      .map(pick)
      .filter((m): m is Measurement => Boolean(m && m.p99Ms !== null && m.p99Ms <= 200 && m.lost === 0))
      .reduce((a, m) => Math.max(a, m.framesPerSec), 0);
  return { productFramesPerSec: best((s) => s.product), baselineFramesPerSec: best((s) => s.baseline) };
}

const SCENARIOS: Record<ScenarioName, Scenario> = {
  connect: async (ctx) => {
    const { product, drive } = await productPhase(ctx, {
      label: 'product, connect',
      plans: dashboardPlans(ctx, ctx.opts.sockets),
      rate: 0,
      durationS: ctx.opts.durationS,
    });
    const baseline = ctx.opts.baseline ? await baselineFor(ctx, product, ctx.opts.durationS) : undefined;
    return { product, drive, baseline };
  },
  dashboard: driven,
  storm: driven,
  smoke: (ctx) => dashboardAt(ctx, ctx.opts.rate, 'product, smoke'),
  'slow-clients': slowClients,
  'webhook-to-screen': webhookToScreen,
  rebalance,
  'reconnect-storm': reconnectStorm,

  'task-room': async (ctx) => {
    const tasks = Math.max(1, Math.round(ctx.opts.rate * ctx.opts.durationS));
    const orgOf = new Map(ctx.orgs.map((o) => [o.orgId, o]));
    const { product, drive } = await productPhase(ctx, {
      label: 'product, task rooms',
      plans: [],
      rate: ctx.opts.rate,
      durationS: ctx.opts.durationS,
      taskRoom: {
        tasks,
        // Each socket watches one task, as a user of the task's org.
        plansFor: (ids, orgIdOf) =>
          Array.from({ length: ctx.opts.sockets }, (_, i): SocketPlan => {
            const t = i % ids.length;
            const org = orgOf.get(orgIdOf(ids[t]!) ?? '') ?? ctx.orgs[0]!;
            return {
              scope: ids[t]!,
              token: org.tokens[Math.floor(i / ids.length) % org.tokens.length],
              join: { event: 'task:join', data: { taskId: ids[t]! } },
              localAddress: sourceAddress(i, ctx.opts.sockets),
            };
          }),
      },
    });
    return { product, drive };
  },

  soak: async (ctx) => {
    const samples: Array<{ atS: number; nodesRssKB: number }> = [];
    const started = Date.now();
    const components = ctx.components(() => []);
    const timer = setInterval(
      () =>
        samples.push({
          atS: Math.round((Date.now() - started) / 1000),
          nodesRssKB: sampleComponents({ nodes: components.nodes! }).nodes!.rssKB,
        }),
      10_000,
    );
    try {
      const { product, drive } = await productPhase(ctx, {
        label: 'product, soak',
        plans: dashboardPlans(ctx, ctx.opts.sockets),
        rate: ctx.opts.rate,
        durationS: ctx.opts.durationS,
      });
      // Samples from after the connect ramp: growth while the sockets are only held.
      const held = samples.filter((s) => s.atS >= 20);
      const first = held[0];
      const lastSample = held[held.length - 1];
      const driftKB = first && lastSample ? lastSample.nodesRssKB - first.nodesRssKB : null;
      return {
        product,
        drive,
        extra: {
          nodesRssDriftKB: driftKB,
          driftKBPerSocket: driftKB === null ? null : round2(driftKB / Math.max(1, product.connected)),
          unexpectedDisconnects: product.unexpectedCloses,
          rssSamples: samples,
        },
      };
    } finally {
      clearInterval(timer);
    }
  },

  polling: async (ctx) => {
    const live = await productPhase(ctx, {
      label: 'product, live dashboards',
      plans: dashboardPlans(ctx, ctx.opts.sockets),
      rate: ctx.opts.rate,
      durationS: ctx.opts.durationS,
      joinProbe: false,
    });
    // Between the two sides, so that drift on the shared machine touches both alike.
    const pipeline = await productPhase(ctx, {
      label: 'product, pipeline only',
      plans: [],
      rate: ctx.opts.rate,
      durationS: ctx.opts.durationS,
    });
    const cookies = ctx.opts.pollAuth === 'cookie' ? await ctx.browserCookies() : undefined;
    // A user's dashboards share that user's browser session (tabs of one browser).
    const dashboards = dashboardPlans(ctx, ctx.opts.sockets).map((p) => ({
      scope: p.scope,
      token: p.token!,
      cookie: cookies?.get(p.token!),
    }));
    const polled = await productPhase(ctx, {
      label: 'product, 5 s polling',
      plans: [],
      rate: ctx.opts.rate,
      durationS: ctx.opts.durationS,
      polling: { dashboards, everyMs: 5000 },
    });
    const cpu = pollingCpu({ live, pipelineOnly: pipeline, polling: polled });
    return {
      product: live.product,
      drive: live.drive,
      extraColumns: [pipeline.product, polled.product],
      notes: cpu.notes,
      extra: {
        polling: polled.product,
        pollingDrive: polled.drive,
        pollAuth: ctx.opts.pollAuth,
        pipelineOnly: pipeline.product,
        pipelineOnlyDrive: pipeline.drive,
        serverCpu: cpu.server,
        allComponentsCpu: cpu.all,
        cpuComparable: cpu.comparable,
        cpuComparabilityProblems: cpu.problems,
        // Kept for earlier readers of the JSON line: the raw comparison.
        serverCpuSecondsPerSecond: {
          live: cpu.server.live.perSec,
          polling: cpu.server.polling.perSec,
          pollingOverLive: cpu.server.ratios.raw,
        },
        staleness: { liveP99Ms: live.product.p99Ms, pollingP50Ms: polled.product.p50Ms, pollingP99Ms: polled.product.p99Ms },
      },
    };
  },
};

export function scenarioRunner(name: ScenarioName): Scenario {
  return SCENARIOS[name];
}
