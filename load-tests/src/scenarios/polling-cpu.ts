import type { Measurement } from '../measure/phase';
import { round2 } from '../sample/proc-sampler';
import type { PhaseResult } from './product-phase';

/** What "server CPU" sums: the processes a dashboard's reads and pushes go through. */
export const SERVER_COMPONENTS = ['nodes', 'haproxy', 'postgres'] as const;
/** Everything the product runs (the generator excluded). */
const ALL_COMPONENTS = [...SERVER_COMPONENTS, 'workers', 'redis'] as const;

interface Side {
  cpuS: number;
  windowS: number;
  perSec: number;
}

export interface CpuComparison {
  components: readonly string[];
  live: Side;
  polling: Side;
  pipelineOnly: Side;
  /** A side's CPU-s minus the pipeline-only phase's (same tasks, no dashboards), per second of that side's window. */
  netLive: { cpuS: number; perSec: number };
  netPolling: { cpuS: number; perSec: number };
  /** polling ÷ live: raw (whole server) and net (keeping the dashboards current only); null when live's is ≤ 0. */
  ratios: { raw: number | null; net: number | null };
}

const side = (m: Measurement, components: readonly string[]): Side => {
  const cpuS = components.reduce((n, k) => n + (m.cpuSecondsByComponent[k] ?? 0), 0);
  return { cpuS: round2(cpuS), windowS: m.durationS, perSec: round2(cpuS / m.durationS) };
};

/**
 * Live vs polling server CPU, raw and net of the pipeline both sides run. Net subtracts the
 * pipeline-only phase's CPU-seconds (the same number of tasks through the same pipeline),
 * not its rate, because the polling window is longer (it polls until the last change can
 * have been seen) while the pipeline's work is the same. What is left is the cost of
 * keeping the dashboards current, plus the idle cost of a longer window (small: timers
 * and health checks) and the machine's noise: a net near 0 is within that noise.
 */
export function compareCpu(
  live: Measurement,
  polling: Measurement,
  pipelineOnly: Measurement,
  components: readonly string[],
): CpuComparison {
  const l = side(live, components);
  const p = side(polling, components);
  const base = side(pipelineOnly, components);
  const net = (s: Side) => ({ cpuS: round2(s.cpuS - base.cpuS), perSec: round2((s.cpuS - base.cpuS) / s.windowS) });
  const netLive = net(l);
  const netPolling = net(p);
  const ratio = (a: number, b: number) => (b > 0 ? round2(a / b) : null);
  return {
    components,
    live: l,
    polling: p,
    pipelineOnly: base,
    netLive,
    netPolling,
    ratios: { raw: ratio(p.perSec, l.perSec), net: ratio(netPolling.perSec, netLive.perSec) },
  };
}

/**
 * Why the three phases did not run the same pipeline cleanly (failed creates or webhooks, unfinished tasks,
 * servers marked DOWN): then the sides' CPU are not comparable. Empty when they are.
 */
function comparabilityProblems(phases: Record<string, PhaseResult>): string[] {
  const tasks = Object.values(phases).map((p) => p.drive.tasks);
  const problems = Object.entries(phases).flatMap(([name, { drive: d, product: m }]) => {
    const issues = [
      d.createErrors && `${d.createErrors} failed creates`,
      d.webhookErrors && `${d.webhookErrors} failed webhooks`,
      d.notMerged && `${d.notMerged} tasks not merged`,
      m.healthCheckFailures && `HAProxy marked a node DOWN ${m.healthCheckFailures} times`,
    ].filter(Boolean);
    return issues.length ? [`${name}: ${issues.join(', ')}`] : [];
  });
  if (new Set(tasks).size > 1)
    problems.unshift(
      `tasks created differ between phases (${Object.entries(phases)
        .map(([n, p]) => `${n} ${p.drive.tasks}`)
        .join(', ')})`,
    );
  return problems;
}

/** The polling scenario's comparison for the server and for every component, with the lines the report prints. */
export function pollingCpu(phases: { live: PhaseResult; pipelineOnly: PhaseResult; polling: PhaseResult }) {
  const [live, polling, pipelineOnly] = [phases.live.product, phases.polling.product, phases.pipelineOnly.product];
  const server = compareCpu(live, polling, pipelineOnly, SERVER_COMPONENTS);
  const all = compareCpu(live, polling, pipelineOnly, ALL_COMPONENTS);
  const problems = comparabilityProblems(phases);
  const line = (name: string, c: CpuComparison) =>
    `| ${name} | ${c.live.perSec} | ${c.polling.perSec} | ${c.pipelineOnly.perSec} | ${c.netLive.perSec} (${c.netLive.cpuS} s) | ${c.netPolling.perSec} (${c.netPolling.cpuS} s) | ${c.ratios.raw ?? '–'}× | ${c.ratios.net ?? '– (live net ≤ 0: within noise)'}${c.ratios.net === null ? '' : '×'} |`;
  const notes = [
    '',
    'CPU-s per s of each window; net = the side minus the pipeline-only phase (same tasks, no dashboards), in CPU-s over the whole side, per s of its window:',
    '',
    '| components | live | polling | pipeline only | net live | net polling | polling ÷ live, raw | polling ÷ live, net |',
    '|---|---|---|---|---|---|---|---|',
    line(`server (${SERVER_COMPONENTS.join(' + ')})`, server),
    line(`all (+ workers, Redis)`, all),
    ...(problems.length
      ? [
          '',
          `**Not comparable**: ${problems.join('; ')}. A side that did less of the pipeline under-counts its CPU, so its ratios are not a measurement of the same work.`,
        ]
      : []),
  ];
  return { server, all, comparable: problems.length === 0, problems, notes };
}
