import type { Measurement } from '../measure/phase';
import type { BenchOptions } from '../options';
import { round2 } from '../sample/proc-sampler';
import type { ScenarioOutcome } from '../scenarios/scenarios';

/** The fields of one measurement in the JSON line (product and baseline alike). */
function fields(m: Measurement) {
  return {
    sockets: m.sockets,
    connected: m.connected,
    connectErrors: m.connectErrors,
    durationS: m.durationS,
    deliveries: m.deliveries,
    deliveriesPerSec: m.deliveriesPerSec,
    frames: m.frames,
    framesPerSec: m.framesPerSec,
    lost: m.lost,
    duplicated: m.duplicated,
    outOfOrder: m.outOfOrder,
    p50Ms: m.p50Ms,
    p95Ms: m.p95Ms,
    p99Ms: m.p99Ms,
    maxMs: m.maxMs,
    connectP50Ms: m.connectP50Ms,
    connectP99Ms: m.connectP99Ms,
    joinP50Ms: m.joinP50Ms,
    joinP99Ms: m.joinP99Ms,
    joinSteadyP50Ms: m.joinSteadyP50Ms,
    joinSteadyP99Ms: m.joinSteadyP99Ms,
    joinProbe: m.joinProbe,
    connectAllMs: m.connectAllMs,
    unexpectedCloses: m.unexpectedCloses,
    rssPerSocketKB: m.rssPerSocketKB,
    cpuSecondsByComponent: m.cpuSecondsByComponent,
    rssKBByComponent: m.rssKBByComponent,
    eventLoopLag: m.eventLoopLag,
    healthCheckFailures: m.healthCheckFailures,
    health: m.health,
    redis: m.redis ?? null,
    postgres: m.postgres ?? null,
    pubSubBytesByNode: m.pubSubBytesByNode ?? null,
    cpuMsPerFrame: cpuMsPerFrame(m),
  };
}

/** CPU of everything but the load generator, per frame delivered. */
function cpuMsPerFrame(m: Measurement): number | null {
  const cpu = Object.entries(m.cpuSecondsByComponent).reduce((n, [k, v]) => (k === 'generator' ? n : n + v), 0);
  return m.frames ? Math.round((cpu * 1000 * 1000) / m.frames) / 1000 : null;
}

const ratio = (a: number | null | undefined, b: number | null | undefined) => (a != null && b ? round2(a / b) : null);

export function summarize(opts: BenchOptions, outcome: ScenarioOutcome) {
  const { product, baseline } = outcome;
  const bare = baseline?.haproxy ?? baseline?.direct;
  return {
    scenario: opts.scenario,
    rate: headlineRate(opts, outcome),
    // What per-org and per-node figures divide by (the capacity model reads it: load-tests/src/capacity).
    setup: { orgs: opts.orgs, users: opts.users, nodes: opts.nodes, workers: opts.workers, connectRate: opts.connectRate },
    ...fields(product),
    drive: outcome.drive,
    ...(bare
      ? {
          baseline: { ...fields(bare), label: bare.label },
          baselineDirect: baseline?.direct ? fields(baseline.direct) : undefined,
          ratios: {
            p99VsBareBehindHaproxy: ratio(product.p99Ms, baseline?.haproxy?.p99Ms),
            p99VsBareDirect: ratio(product.p99Ms, baseline?.direct.p99Ms),
            rssPerSocketVsBare: ratio(product.rssPerSocketKB, baseline?.direct.rssPerSocketKB),
            connectP99VsBare: ratio(product.connectP99Ms, bare.connectP99Ms),
            cpuPerFrameVsBare: ratio(cpuMsPerFrame(product), cpuMsPerFrame(bare)),
            ...outcome.ratios,
          },
        }
      : outcome.ratios
        ? { ratios: outcome.ratios }
        : {}),
    ...(outcome.extra ? { extra: outcome.extra } : {}),
    ...(outcome.sweep
      ? {
          sweep: outcome.sweep.map((s) => ({
            rate: s.rate,
            product: fields(s.product),
            baseline: s.baseline ? fields(s.baseline) : null,
            baselineDirect: s.baselineDirect ? fields(s.baselineDirect) : null,
          })),
        }
      : {}),
  };
}

/** A sweep's headline is its last step. */
const headlineRate = (opts: BenchOptions, outcome: ScenarioOutcome) => outcome.sweep?.[outcome.sweep.length - 1]?.rate ?? opts.rate;

/**
 * RSS growth of the server processes below which a per-socket figure means nothing: a garbage collection moves
 * a Node process's RSS by a few MB either way, so a few hundred sockets (the smoke) can even read negative.
 */
export const RSS_NOISE_FLOOR_KB = 8 * 1024;

/** The table's RSS per socket: the figure, or "below the noise floor" when the growth is negative or within the noise. */
export function rssPerSocketCell(m: Pick<Measurement, 'rssPerSocketKB' | 'connected'>): string {
  if (m.rssPerSocketKB === null) return '–';
  return m.rssPerSocketKB * m.connected < RSS_NOISE_FLOOR_KB ? 'below the noise floor' : String(m.rssPerSocketKB);
}

const cell = (v: unknown) => (v === null || v === undefined ? '–' : typeof v === 'number' ? String(v) : String(v));

/** One Markdown table per run: the product and each baseline side by side. */
export function markdownReport(opts: BenchOptions, outcome: ScenarioOutcome, machine: string): string {
  const cols = [outcome.product, outcome.baseline?.direct, outcome.baseline?.haproxy].filter((m): m is Measurement => Boolean(m));
  cols.push(...(outcome.extraColumns ?? []));
  const components = [...new Set(cols.flatMap((m) => Object.keys(m.cpuSecondsByComponent)))];
  const rows: Array<[string, (m: Measurement) => unknown]> = [
    ['sockets connected / planned', (m) => `${m.connected} / ${m.sockets}`],
    ['connect errors', (m) => m.connectErrors],
    ['connect + join p50 / p99 ms', (m) => `${cell(m.connectP50Ms)} / ${cell(m.connectP99Ms)}`],
    ['join alone (sent → ack) p50 / p99 ms, during the ramp', (m) => `${cell(m.joinP50Ms)} / ${cell(m.joinP99Ms)}`],
    [
      'join, steady state (fresh probe socket) p50 / p99 ms',
      (m) => (m.joinProbe ? `${cell(m.joinSteadyP50Ms)} / ${cell(m.joinSteadyP99Ms)}` : '–'),
    ],
    [
      'join probes: count, errors, skipped; re-join p50 / p99 ms; handshake p99 ms; prober event-loop delay p99 / max ms',
      (m) => {
        const p = m.joinProbe;
        return p
          ? `${p.join.count} of ${p.count} at ${p.ratePerSec}/s, ${p.errors}, ${p.skipped}; ${cell(p.rejoin.p50Ms)} / ${cell(p.rejoin.p99Ms)}; ${cell(p.connect.p99Ms)}; ${p.harnessLoopDelay.p99Ms} / ${p.harnessLoopDelay.maxMs}`
          : '–';
      },
    ],
    ['all connected and joined in', (m) => `${round2(m.connectAllMs / 1000)} s`],
    ['measured window', (m) => `${m.durationS} s`],
    ['deliveries (seq-checked) / per s', (m) => `${m.deliveries} / ${m.deliveriesPerSec}`],
    ['frames / per s', (m) => `${m.frames} / ${m.framesPerSec}`],
    ['latency p50 / p95 / p99 / max ms', (m) => `${cell(m.p50Ms)} / ${cell(m.p95Ms)} / ${cell(m.p99Ms)} / ${cell(m.maxMs)}`],
    ['lost / duplicated / out of order', (m) => `${m.lost} / ${m.duplicated} / ${m.outOfOrder}`],
    ['unexpected disconnects', (m) => m.unexpectedCloses],
    [
      'sync:required received (by reason); re-joins failed',
      (m) =>
        m.syncRequired
          ? `${Object.entries(m.syncRequired)
              .map(([reason, n]) => `${reason} ${n}`)
              .join(', ')}; ${m.rejoinErrors ?? 0}`
          : '–',
    ],
    [
      'health checks: DOWN / UP transitions, failed checks',
      (m) => (m.health ? `${m.health.down} / ${m.health.up}, ${cell(m.health.failedChecks)}` : '–'),
    ],
    ['RSS per socket (server) KB', rssPerSocketCell],
    [
      'Redis pub/sub KB received per node per s (each node)',
      (m) =>
        m.pubSubBytesByNode
          ? Object.values(m.pubSubBytesByNode)
              .map((b) => round2(b / 1024 / m.durationS))
              .join(' / ')
          : '–',
    ],
    ['CPU ms per frame (all but generator)', (m) => cpuMsPerFrame(m)],
    [
      'event-loop delay p99 / max ms (nodes)',
      (m) => (m.eventLoopLag ? `${cell(m.eventLoopLag.p99Ms)} / ${cell(m.eventLoopLag.maxMs)}` : '–'),
    ],
    ...components.map((c): [string, (m: Measurement) => unknown] => [`CPU s: ${c}`, (m) => m.cpuSecondsByComponent[c]]),
    ...components.map((c): [string, (m: Measurement) => unknown] => [
      `RSS MB: ${c}`,
      (m) => (m.rssKBByComponent[c] === undefined ? undefined : round2(m.rssKBByComponent[c] / 1024)),
    ]),
  ];
  const lines = [
    `### ${opts.scenario}: ${opts.sockets} sockets, ${headlineRate(opts, outcome)} task/s, ${opts.durationS} s`,
    '',
    `| | ${cols.map((m) => m.label).join(' | ')} |`,
    `|---|${cols.map(() => '---').join('|')}|`,
    ...rows.map(([name, get]) => `| ${name} | ${cols.map((m) => cell(get(m))).join(' | ')} |`),
    '',
    ...(outcome.notes ?? []),
    '',
    machine,
  ];
  if (outcome.drive) {
    const d = outcome.drive;
    lines.push(
      `Driver: ${d.tasks} tasks, ${d.transitionsPerSec} transitions/s, ${d.createErrors} create errors, ${d.webhookErrors} webhook errors, ${d.notMerged} not merged${d.errorSamples.length ? ` (${d.errorSamples.join('; ')})` : ''}.`,
    );
  }
  return lines.join('\n');
}
