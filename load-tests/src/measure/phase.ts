import type { GeneratorPool } from '../client/generator-pool';
import type { Finals, LostSample, SlowReport, SocketPlan } from '../client/messages';
import { cpuBetween, round2, sampleComponents, type PidSource } from '../sample/proc-sampler';
import type { HaproxyHealthWatch, HealthReport } from '../sample/haproxy-health';
import type { EventLoopLagScraper, LagSummary } from '../sample/event-loop-lag';
import type { JoinProbe, JoinProbeReport } from './join-probe';
import type { WindowQuantiles } from '../stats/windowed-latency';
import { postgresDelta, type PostgresCounters, type PostgresCounterSampler } from '../sample/postgres-counters';
import { redisDelta, type RedisCounters, type RedisCounterSampler } from '../sample/redis-counters';
import { pubSubDelta, type PubSubBytes, type PubSubBytesSampler } from '../sample/pubsub-bytes';

/** One measured phase (product or baseline): the fields every report and the JSON line carry. */
export interface Measurement {
  label: string;
  sockets: number;
  connected: number;
  connectErrors: number;
  connectErrorSamples: string[];
  connectP50Ms: number | null;
  connectP95Ms: number | null;
  connectP99Ms: number | null;
  /** The join event alone (sent → acked), per socket. */
  joinP50Ms: number | null;
  joinP95Ms: number | null;
  joinP99Ms: number | null;
  /** Steady state: a fresh probe socket's first `dashboard:join` while the phase's sockets are held (null: no probe). */
  joinSteadyP50Ms: number | null;
  joinSteadyP99Ms: number | null;
  /** The probes in full: counts, errors, re-join and handshake percentiles. */
  joinProbe: JoinProbeReport | null;
  /** First connect → last join ack, for all sockets. */
  connectAllMs: number;
  durationS: number;
  deliveries: number;
  deliveriesPerSec: number;
  frames: number;
  framesPerSec: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  unexpectedCloses: number;
  /** RSS the server processes grew by while the sockets connected, per socket. */
  rssPerSocketKB: number | null;
  cpuSecondsByComponent: Record<string, number>;
  rssKBByComponent: Record<string, number>;
  eventLoopLag: LagSummary | null;
  /** Health-check DOWN transitions of the product's servers from the first connect to the end of the phase; null when not watched. */
  healthCheckFailures: number | null;
  health: HealthReport | null;
  /** Redis's bytes in and out, commands and publishes over the measured window (null: not sampled, or Redis restarted). */
  redis?: RedisCounters | null;
  /** Bytes each server node's adapter got from Redis pub/sub over the measured window (null: not read, or a node restarted). */
  pubSubBytesByNode?: PubSubBytes | null;
  /** The product database's commits and rows written over the measured window (null: not read, or reset). */
  postgres?: PostgresCounters | null;
  polls?: number;
  pollErrors?: number;
  /** Latency per few-second window from the start of the measured window (t0), for loads that change mid-run. */
  latencyByWindow?: WindowQuantiles[];
  /** Sockets a node asked to reconnect elsewhere (`connection:reconnect`), and those whose move failed. */
  moves?: number;
  moveErrors?: number;
  /** Rows a socket got again on a new connection after seeing them on its old one (dropped by seq; not duplicates). */
  repeatedAcrossReconnect?: number;
  /** `sync:required` the measured sockets received, by reason (each re-joins, as the client library does), and the re-joins that failed. */
  syncRequired?: Record<string, number>;
  rejoinErrors?: number;
  /** A few socket × stream pairs whose final seq never arrived (null when none was lost). */
  lostSamples?: LostSample[];
  /** Sockets that reconnected after their node went away (reconnect plans): close → joined again, and those not back. */
  reconnects?: { count: number; p50Ms: number | null; p99Ms: number | null; maxMs: number | null; pending: number };
  /** The slow readers (slow-clients), kept out of every other figure. */
  slow?: SlowReport;
}

export interface PhaseSpec {
  label: string;
  pool: GeneratorPool;
  url: string;
  plans: SocketPlan[];
  connectsPerSec: number;
  components: Record<string, PidSource>;
  /** The components whose RSS growth is divided by the sockets (the server nodes). */
  serverComponents: string[];
  lag?: EventLoopLagScraper;
  /** HAProxy's view of the product's servers (the product phase of a cluster the harness knows the DATA_DIR of). */
  health?: HaproxyHealthWatch;
  /** The cluster's Redis, read with the CPU samples (the measured window). */
  redis?: RedisCounterSampler;
  pubSub?: PubSubBytesSampler;
  postgres?: PostgresCounterSampler;
  /** Paced join probes over the measured window (after the ramp, while the sockets are held). */
  joinProbe?: JoinProbe;
  /** The load itself; resolves when the measured window ends. */
  drive: () => Promise<void>;
  /** Deliveries still in flight when the drive ends are given this long to land. */
  settleMs?: number;
  finals: () => Promise<Finals>;
  /** Report latency per window too (Measurement.latencyByWindow). */
  windowed?: boolean;
  /** Runs inside the window beside the drive: polling dashboards (instead of or besides sockets), a scale-out. */
  alongside?: () => Promise<void>;
}

const FINALS_GRACE_MS = 3000;

const pick = <T extends object, K extends keyof T>(o: T, keys: K[]) => Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;

const sum = (rec: Record<string, { rssKB: number }>, names: string[]) => names.reduce((n, k) => n + (rec[k]?.rssKB ?? 0), 0);

export async function measurePhase(spec: PhaseSpec): Promise<Measurement> {
  await spec.health?.start();
  const s0 = sampleComponents(spec.components);
  const opened = spec.plans.length
    ? await spec.pool.open(spec.url, spec.plans, {
        connectsPerSec: spec.connectsPerSec,
        timeoutMs: 30_000,
        deadlineMs: 30_000 + spec.plans.length * 50,
      })
    : undefined;
  // Let the nodes' heaps settle after the connect burst before reading memory.
  await new Promise((r) => setTimeout(r, 1000));
  const s1 = sampleComponents(spec.components);
  const [r1, p1, b1] = await Promise.all([spec.redis?.sample(), spec.postgres?.sample(), spec.pubSub?.sample()]);
  spec.lag?.start();
  spec.joinProbe?.start();
  const t0 = Date.now();
  await Promise.all([spec.drive(), spec.alongside?.()]);
  const t1 = Date.now();
  const probe = spec.joinProbe ? await spec.joinProbe.stop() : null;
  await new Promise((r) => setTimeout(r, spec.settleMs ?? 1500));
  const lag = spec.lag ? spec.lag.stop() : null;
  const s2 = sampleComponents(spec.components);
  const [r2, p2, b2] = await Promise.all([spec.redis?.sample(), spec.postgres?.sample(), spec.pubSub?.sample()]);
  const health = spec.health ? await spec.health.stop() : null;
  const finals = await spec.finals();
  // A change committed just before the finals were read may still be on its way (publish, fan-out): give it
  // time to arrive, so that "lost" means never delivered rather than not delivered yet.
  await new Promise((r) => setTimeout(r, FINALS_GRACE_MS));
  const report = await spec.pool.report(finals);
  const durationS = Math.max(0.001, (t1 - t0) / 1000);
  const connect = opened?.connectJoin.percentiles();
  const join = opened?.join.percentiles();
  const lat = report.latency.percentiles();
  const grown = sum(s1, spec.serverComponents) - sum(s0, spec.serverComponents);
  return {
    label: spec.label,
    sockets: spec.plans.length,
    connected: opened?.connected ?? 0,
    connectErrors: opened?.errors ?? 0,
    connectErrorSamples: opened?.errorSamples ?? [],
    connectP50Ms: connect?.p50Ms ?? null,
    connectP95Ms: connect?.p95Ms ?? null,
    connectP99Ms: connect?.p99Ms ?? null,
    joinP50Ms: join?.p50Ms ?? null,
    joinP95Ms: join?.p95Ms ?? null,
    joinP99Ms: join?.p99Ms ?? null,
    joinSteadyP50Ms: probe?.join.p50Ms ?? null,
    joinSteadyP99Ms: probe?.join.p99Ms ?? null,
    joinProbe: probe,
    connectAllMs: opened?.elapsedMs ?? 0,
    durationS: round2(durationS),
    deliveries: report.deliveries,
    deliveriesPerSec: round2(report.deliveries / durationS),
    frames: report.frames,
    framesPerSec: round2(report.frames / durationS),
    lost: report.lost,
    duplicated: report.duplicated,
    outOfOrder: report.outOfOrder,
    p50Ms: lat.p50Ms,
    p95Ms: lat.p95Ms,
    p99Ms: lat.p99Ms,
    maxMs: lat.maxMs,
    unexpectedCloses: report.unexpectedCloses,
    rssPerSocketKB: opened && opened.connected > 0 ? round2(grown / opened.connected) : null,
    cpuSecondsByComponent: cpuBetween(s1, s2),
    rssKBByComponent: Object.fromEntries(Object.entries(s2).map(([k, v]) => [k, v.rssKB])),
    eventLoopLag: lag,
    healthCheckFailures: health ? health.down : null,
    health,
    ...(spec.redis ? { redis: redisDelta(r1 ?? null, r2 ?? null) } : {}),
    ...(spec.postgres ? { postgres: postgresDelta(p1 ?? null, p2 ?? null) } : {}),
    ...(spec.pubSub ? { pubSubBytesByNode: pubSubDelta(b1 ?? null, b2 ?? null) } : {}),
    ...(report.polls ? { polls: report.polls, pollErrors: report.pollErrors } : {}),
    ...(report.slow.sockets || report.slow.othersFellBehind ? { slow: report.slow } : {}),
    ...(spec.windowed ? { latencyByWindow: report.windows.quantiles(t0) } : {}),
    ...(report.moves ? { moves: report.moves, moveErrors: report.moveErrors } : {}),
    ...(report.repeatedAcrossReconnect ? { repeatedAcrossReconnect: report.repeatedAcrossReconnect } : {}),
    ...(Object.keys(report.syncRequired).length ? { syncRequired: report.syncRequired, rejoinErrors: report.rejoinErrors } : {}),
    ...(report.lostSamples.length ? { lostSamples: report.lostSamples } : {}),
    ...(report.reconnects
      ? {
          reconnects: {
            count: report.reconnects,
            ...pick(report.reconnectMs.percentiles(), ['p50Ms', 'p99Ms', 'maxMs']),
            pending: report.reconnectsPending,
          },
        }
      : {}),
  };
}
