import path from 'node:path';
import { runBareBaseline } from '../../baselines/bare-baseline';
import { GeneratorPool } from '../client/generator-pool';
import type { Finals, PollPlan, SocketPlan } from '../client/messages';
import { TaskDriver, type OrgUsers } from '../drive/task-driver';
import { JoinProbe } from '../measure/join-probe';
import { measurePhase, type Measurement } from '../measure/phase';
import { EventLoopLagScraper } from '../sample/event-loop-lag';
import { HaproxyHealthWatch } from '../sample/haproxy-health';
import { round2 } from '../sample/proc-sampler';
import { PostgresCounterSampler } from '../sample/postgres-counters';
import { RedisCounterSampler } from '../sample/redis-counters';
import { PubSubBytesSampler } from '../sample/pubsub-bytes';
import type { ScenarioContext } from './context';

export interface DriveStats {
  tasks: number;
  createErrors: number;
  webhookErrors: number;
  notMerged: number;
  transitionsPerSec: number;
  errorSamples: string[];
}

export interface PhaseResult {
  product: Measurement;
  drive: DriveStats;
}

/** How long tasks get to finish their pipeline after the last one was started. */
const PIPELINE_GRACE_MS = 30_000;

/**
 * One product phase: sockets from `plans` connect and join, then the driver starts
 * `rate × duration` tasks over the public paths and waits for them to be merged;
 * the deliveries are checked against the final seqs the REST API reports.
 */
export async function productPhase(
  ctx: ScenarioContext,
  spec: {
    label: string;
    plans: SocketPlan[];
    rate: number;
    durationS: number;
    orgs?: OrgUsers[];
    /** Task rooms: tasks are created and held at `dispatched` before the sockets join them. */
    taskRoom?: { tasks: number; plansFor: (ids: string[], orgOf: (id: string) => string | undefined) => SocketPlan[] };
    polling?: { dashboards: PollPlan[]; everyMs: number };
    /** Off where the phase's CPU is the measurement: the probes' handshakes and joins would count as its cost. */
    joinProbe?: boolean;
    /** Runs beside the drive once the sockets are held (rebalance: scales the cluster out); the window waits for it. */
    during?: () => Promise<void>;
    /** Latency per few-second window too (Measurement.latencyByWindow). */
    windowed?: boolean;
    /** Hands the phase's driver to the scenario (webhook-to-screen reads its webhook send times). */
    onDriver?: (driver: TaskDriver) => void;
  },
): Promise<PhaseResult> {
  const driver = new TaskDriver({ url: ctx.url, webhookSecret: ctx.webhookSecret, orgs: spec.orgs ?? ctx.orgs });
  spec.onDriver?.(driver);
  const pool = new GeneratorPool(ctx.opts.children);
  const lag = new EventLoopLagScraper(() => ctx.metricsUrls());
  const redis = ctx.redisUrl ? new RedisCounterSampler(ctx.redisUrl) : undefined;
  const postgres = ctx.cluster ? new PostgresCounterSampler(ctx.cluster.databaseUrl) : undefined;
  try {
    await driver.start();
    let plans = spec.plans;
    let held: string[] = [];
    if (spec.taskRoom) {
      held = await driver.createAtRate(spec.taskRoom.tasks, Math.max(1000, spec.taskRoom.tasks * 50), { holdAtDispatched: true });
      const stuck = await driver.waitAll('dispatched', 60_000, held);
      if (stuck) ctx.log(`${stuck} of ${held.length} task(s) did not reach dispatched in 60 s`);
      plans = spec.taskRoom.plansFor(held, (id) => driver.orgOf(id));
    }
    const count = Math.round(spec.rate * spec.durationS);
    let transitionsAtStart = 0;
    const product = await measurePhase({
      label: spec.label,
      pool,
      url: ctx.url,
      plans,
      connectsPerSec: ctx.opts.connectRate,
      components: ctx.components(() => pool.pids),
      serverComponents: ['nodes'],
      lag,
      redis,
      pubSub: new PubSubBytesSampler(() => ctx.metricsUrls()),
      postgres,
      health: healthWatch(ctx),
      joinProbe: spec.joinProbe === false ? undefined : joinProbe(ctx, plans, spec.orgs ?? ctx.orgs),
      drive: async () => {
        transitionsAtStart = driver.transitions;
        if (spec.taskRoom) await driver.release(held, Math.max(0.1, spec.rate));
        else if (count > 0) await driver.createAtRate(count, spec.durationS * 1000);
        else await new Promise((r) => setTimeout(r, spec.durationS * 1000));
        const left = await driver.waitAll('merged', PIPELINE_GRACE_MS);
        if (left) ctx.log(`${left} task(s) had not finished their pipeline ${PIPELINE_GRACE_MS / 1000} s after the last start`);
      },
      alongside: spec.polling
        ? () => pool.poll(ctx.url, spec.polling!.dashboards, spec.polling!.everyMs, spec.durationS * 1000 + PIPELINE_GRACE_MS / 3)
        : spec.during,
      windowed: spec.windowed,
      // Polling dashboards see the last change only at their next poll.
      settleMs: spec.polling ? spec.polling.everyMs + 1000 : 1500,
      finals: (): Promise<Finals> => driver.finals(Boolean(spec.taskRoom)),
    });
    return {
      product,
      drive: {
        tasks: driver.created,
        createErrors: driver.createErrors,
        webhookErrors: driver.webhookErrors,
        notMerged: driver.notMerged(),
        transitionsPerSec: round2((driver.transitions - transitionsAtStart) / product.durationS),
        errorSamples: driver.errorSamples,
      },
    };
  } finally {
    driver.stop();
    redis?.close();
    await postgres?.close();
    await pool.close();
  }
}

/** Steady-state join probes, for phases that hold dashboard sockets (not task rooms, not polling). */
function joinProbe(ctx: ScenarioContext, plans: SocketPlan[], orgs: OrgUsers[]): JoinProbe | undefined {
  if (!ctx.opts.joinProbeRate || !plans.some((p) => p.join.event === 'dashboard:join')) return undefined;
  // Users in turn across the orgs (org 1's first user, org 2's first user, …), as the held sockets are dealt.
  const depth = Math.max(...orgs.map((o) => o.tokens.length));
  const tokens = Array.from({ length: depth }, (_, i) => orgs.map((o) => o.tokens[i]))
    .flat()
    .filter((t): t is string => Boolean(t));
  return new JoinProbe({ url: ctx.url, tokens, ratePerSec: ctx.opts.joinProbeRate });
}

/** The product's HAProxy, when the harness knows its DATA_DIR (its log and, when short enough, its stats socket). */
function healthWatch(ctx: ScenarioContext): HaproxyHealthWatch | undefined {
  if (!ctx.cluster) return undefined;
  const dir = ctx.cluster.dataDir;
  return new HaproxyHealthWatch(path.join(dir, 'logs', 'haproxy.log'), path.join(dir, 'haproxy.sock'));
}

/** The bare fan-out at the frames per socket per second the product phase delivered. */
export async function baselineFor(ctx: ScenarioContext, product: Measurement, durationS: number) {
  if (!ctx.redisUrl) {
    ctx.log('no single Redis known for the baseline (a --url run, or REDIS_MODE=cluster): skipped');
    return undefined;
  }
  const perSocket = product.connected ? product.framesPerSec / product.connected : 0;
  return runBareBaseline({
    sockets: product.sockets,
    framesPerSocketPerSec: Math.max(0.2, round2(perSocket)),
    durationS,
    redisUrl: ctx.redisUrl,
    haproxyCfg: ctx.haproxyCfg,
    behindHaproxy: true,
    children: ctx.opts.children,
    connectsPerSec: ctx.opts.connectRate,
    generatorPids: () => [],
    redisPids: () => ctx.components(() => []).redis?.pids() ?? [],
    log: (l) => ctx.log(l),
  });
}
