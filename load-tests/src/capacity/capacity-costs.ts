/** Unit costs from the harness's JSON summaries: what one socket, frame or committed transition costs each component. */

/** The fields of a harness summary (the JSON line, or the ```json block of `--out`) the model reads. */
export interface HarnessSummary {
  scenario: string;
  sockets: number;
  connected: number;
  durationS: number;
  deliveries: number;
  frames: number;
  rssPerSocketKB: number | null;
  cpuSecondsByComponent: Record<string, number>;
  rssKBByComponent: Record<string, number>;
  drive?: { tasks: number; transitionsPerSec: number };
  /** Redis's counters over the window (harness runs since the capacity model; null when not read). */
  redis?: { netOutputBytes: number; publishes: number } | null;
  /** The product database's counters over the window (since the capacity model; null when not read). */
  postgres?: { rowsInserted: number; rowsUpdated: number; rowsDeleted: number } | null;
  /** Written by the harness since the capacity model; older summaries take `RunSetup` from the command line. */
  setup?: RunSetup;
}

/** How the measured run was set up: what its per-socket and per-org figures are divided by. */
export interface RunSetup {
  orgs: number;
  nodes: number;
}

/** One measured run, named for the report. */
export interface MeasuredRun {
  name: string;
  summary: HarnessSummary;
  setup: RunSetup;
}

/** A unit cost and the run it was read from. */
interface Cost {
  value: number;
  from: string;
}

export interface UnitCosts {
  /** The nodes' RSS growth while the sockets connected, per socket. */
  rssPerSocketKB: Cost;
  /** One node's RSS without sockets: the nodes' RSS at the end of the run, less the sockets' share, per node. */
  nodeBaseRssMB: Cost;
  /** All of the nodes' CPU (fan-out, heartbeats, joins, REST) counted against the frames they delivered. */
  nodeCpuMsPerFrame: Cost;
  /** HAProxy's CPU (the tunnelled WebSocket traffic and the REST calls) per frame delivered. */
  haproxyCpuMsPerFrame: Cost;
  /** Pipeline CPU per committed transition (REST, webhooks, jobs, publishing, background work included). */
  redisCpuMsPerTransition: Cost;
  postgresCpuMsPerTransition: Cost;
  workerCpuMsPerTransition: Cost;
  /** Frames a socket receives per seq-checked dashboard row (count frames add, `dashboard:batch` packs). */
  framesPerDelivery: Cost;
  /** Dashboard rows each task's pipeline delivers to every socket of its org. */
  rowsPerTask: Cost;
  /**
   * Redis's output per broadcast per subscribed node (all its output counted against the broadcasts: an upper
   * bound) and broadcasts per transition; absent when no run read Redis's counters.
   */
  redisOutBytesPerPublishPerNode?: Cost;
  publishesPerTransition?: Cost;
  /** Rows PostgreSQL inserted, updated or deleted per committed transition (everything in the window); absent when not read. */
  pgRowsWrittenPerTransition?: Cost;
}

const transitions = (s: HarnessSummary) => (s.drive ? s.drive.transitionsPerSec * s.durationS : 0);

/** The run with the most of what a cost is divided by (the least noisy figure), or none. */
function best(runs: MeasuredRun[], weight: (r: MeasuredRun) => number): MeasuredRun | undefined {
  return runs.filter((r) => weight(r) > 0).sort((a, b) => weight(b) - weight(a))[0];
}

function cost(runs: MeasuredRun[], what: string, weight: (r: MeasuredRun) => number, value: (r: MeasuredRun) => number): Cost {
  const run = best(runs, weight);
  if (!run) throw new Error(`no run measures ${what}`);
  return { value: value(run), from: run.name };
}

const cpuMs = (r: MeasuredRun, component: string) => (r.summary.cpuSecondsByComponent[component] ?? 0) * 1000;

/** Unit costs from one or more runs: each from the run with the most sockets, frames or transitions behind it. */
export function deriveUnitCosts(runs: MeasuredRun[]): UnitCosts {
  const bySockets = (r: MeasuredRun) => (r.summary.rssPerSocketKB !== null && r.summary.rssPerSocketKB > 0 ? r.summary.connected : 0);
  const byFrames = (r: MeasuredRun) => (r.summary.cpuSecondsByComponent.nodes === undefined ? 0 : r.summary.frames);
  const byTransitions = (r: MeasuredRun) => (r.summary.deliveries > 0 ? transitions(r.summary) : 0);
  const perTransition = (component: string) =>
    cost(runs, `${component} CPU per transition`, byTransitions, (r) => cpuMs(r, component) / transitions(r.summary));
  const byPublishes = (r: MeasuredRun) => (transitions(r.summary) > 0 ? (r.summary.redis?.publishes ?? 0) : 0);
  const redis = best(runs, byPublishes)
    ? {
        redisOutBytesPerPublishPerNode: cost(
          runs,
          'Redis output',
          byPublishes,
          (r) => r.summary.redis!.netOutputBytes / byPublishes(r) / r.setup.nodes,
        ),
        publishesPerTransition: cost(runs, 'publishes', byPublishes, (r) => byPublishes(r) / transitions(r.summary)),
      }
    : {};
  const written = (r: MeasuredRun) => {
    const p = r.summary.postgres;
    return p && transitions(r.summary) > 0 ? p.rowsInserted + p.rowsUpdated + p.rowsDeleted : 0;
  };
  const postgres = best(runs, written)
    ? { pgRowsWrittenPerTransition: cost(runs, 'rows written', written, (r) => written(r) / transitions(r.summary)) }
    : {};
  return {
    ...redis,
    ...postgres,
    rssPerSocketKB: cost(runs, 'RSS per socket', bySockets, (r) => r.summary.rssPerSocketKB!),
    nodeBaseRssMB: cost(
      runs,
      'node base RSS',
      (r) => (r.summary.rssKBByComponent.nodes ? bySockets(r) : 0),
      (r) => ((r.summary.rssKBByComponent.nodes ?? 0) - r.summary.rssPerSocketKB! * r.summary.connected) / 1024 / r.setup.nodes,
    ),
    nodeCpuMsPerFrame: cost(runs, 'node CPU per frame', byFrames, (r) => cpuMs(r, 'nodes') / r.summary.frames),
    haproxyCpuMsPerFrame: cost(runs, 'HAProxy CPU per frame', byFrames, (r) => cpuMs(r, 'haproxy') / r.summary.frames),
    redisCpuMsPerTransition: perTransition('redis'),
    postgresCpuMsPerTransition: perTransition('postgres'),
    workerCpuMsPerTransition: perTransition('workers'),
    framesPerDelivery: cost(
      runs,
      'frames per delivery',
      (r) => r.summary.deliveries,
      (r) => r.summary.frames / r.summary.deliveries,
    ),
    rowsPerTask: cost(
      runs,
      'rows per task',
      (r) => r.summary.drive?.tasks ?? 0,
      (r) => r.summary.deliveries / (r.summary.drive!.tasks * (r.summary.connected / r.setup.orgs)),
    ),
  };
}
