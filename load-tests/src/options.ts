import { parseArgs } from 'node:util';

const SCENARIOS = [
  'connect',
  'dashboard',
  'task-room',
  'storm',
  'soak',
  'polling',
  'smoke',
  'slow-clients',
  'webhook-to-screen',
  'rebalance',
  'reconnect-storm',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  scenario: ScenarioName;
  sockets: number;
  /** Tasks per second the driver starts (each goes received → analyzing → dispatched → coding → pr_open → merged). */
  rate: number;
  durationS: number;
  out: string | undefined;
  url: string | undefined;
  /** With --url: the running stack's DATA_DIR (stack.json, secrets.json), for seeding and sampling. */
  dataDir: string | undefined;
  baseline: boolean;
  orgs: number;
  users: number;
  children: number;
  /** Sockets per second while connecting; 0 = as fast as the server accepts them. */
  connectRate: number;
  /** How polling dashboards authenticate: the browser's session cookie (as the web app) or a Bearer token. */
  pollAuth: 'cookie' | 'bearer';
  /** Fresh dashboard sockets per second probing `dashboard:join` while the sockets are held; 0 = no probe. */
  joinProbeRate: number;
  /** Task rates to step through (dashboard/storm), for p99 against load and the chart. */
  sweep: number[];
  chart: string | undefined;
  port: number;
  nodes: number;
  workers: number;
  /** slow-clients: the share of sockets that read slowly (half paused, half at `slowKbps`). */
  slowShare: number;
  /** slow-clients: the throttled slow sockets' link, in kbit/s. */
  slowKbps: number;
  /** The nodes' WEBSOCKET_MAX_BUFFERED_BYTES (cluster the harness starts); undefined = the server's default. */
  maxBufferedBytes: number | undefined;
  /** rebalance: the node count `npm run cluster:ctl -- scale` goes to, and when (s into the measured window). */
  scaleTo: number;
  scaleAfterS: number;
  /** reconnect-storm: when the first node is SIGKILLed (s into the measured window), or the rolling restart begins. */
  killAfterS: number;
  /** reconnect-storm: a rolling restart of every node (`cluster:ctl restart`) instead of one SIGKILL. */
  restart: boolean;
}

type Defaults = Pick<BenchOptions, 'sockets' | 'rate' | 'durationS' | 'baseline' | 'orgs'>;

/** Per scenario: a load that shows what it is about, small enough for the shared 2-core machine. */
const DEFAULTS: Record<ScenarioName, Defaults> = {
  connect: { sockets: 1000, rate: 0, durationS: 2, baseline: true, orgs: 10 },
  dashboard: { sockets: 1000, rate: 2, durationS: 30, baseline: true, orgs: 10 },
  'task-room': { sockets: 500, rate: 2, durationS: 20, baseline: false, orgs: 10 },
  storm: { sockets: 1000, rate: 0.5, durationS: 20, baseline: true, orgs: 1 },
  soak: { sockets: 1000, rate: 0.2, durationS: 600, baseline: false, orgs: 10 },
  polling: { sockets: 300, rate: 1, durationS: 30, baseline: false, orgs: 10 },
  smoke: { sockets: 300, rate: 2, durationS: 8, baseline: false, orgs: 5 },
  // One org: every change reaches every socket, the slow ones included.
  'slow-clients': { sockets: 1000, rate: 2, durationS: 20, baseline: false, orgs: 1 },
  // The measured dashboards live in the harness's process (one clock with the webhook sends): a few hundred.
  'webhook-to-screen': { sockets: 200, rate: 1, durationS: 20, baseline: false, orgs: 5 },
  // Long enough for the default pace (1 % of a node's sockets per second) to even 2 → 4 nodes out, and to watch it hold.
  rebalance: { sockets: 2000, rate: 1, durationS: 150, baseline: false, orgs: 10 },
  'reconnect-storm': { sockets: 2000, rate: 1, durationS: 60, baseline: false, orgs: 10 },
};

export const USAGE = `Usage: npm run bench -- <${SCENARIOS.join('|')}> [--port P] [options]

  --sockets N        sockets (or polling dashboards)          --rate R      tasks started per second
  --duration S       measured seconds                          --out FILE    also write the report (Markdown + JSON)
  --url URL          use a running cluster instead of starting one (127.0.0.1 only), with
  --data-dir DIR     its DATA_DIR (default .data: stack.json and secrets.json), to seed users and sample it
  --baseline / --no-baseline   run the bare Socket.IO fan-out at the same frames/s too
  --orgs N  --users N  --children N  --connect-rate N (sockets/s, 0 = unthrottled)
  --poll-auth cookie|bearer   polling dashboards send a browser session cookie (default, as the web app) or a Bearer token
  --join-probe-rate N   fresh sockets/s timing dashboard:join while the others are held (default 5, 0 = off)
  --sweep R1,R2,…    step the task rate (dashboard, storm)     --chart FILE.svg   p99 against load
  --port P  --nodes N  --workers N   the cluster the harness starts (defaults: $PORT, else 3900; 2; 1)
  --slow-share F     slow-clients: share of sockets reading slowly, half paused, half at --slow-kbps (default 0.01)
  --slow-kbps N      slow-clients: the throttled ones' link in kbit/s (default 50)
  --max-buffered-bytes N   the nodes' WEBSOCKET_MAX_BUFFERED_BYTES (0 = unbounded; default: the server's, 1 MiB)
  --scale-to N  --scale-after S   rebalance: scale the cluster to N nodes (default 2 × --nodes) S s into the window (default 20)
  --kill-after S     reconnect-storm: SIGKILL the first node S s into the window (default 20)
  --restart          reconnect-storm: a rolling restart of every node (cluster:ctl restart) instead
  webhook-to-screen: --sockets dashboards time each task's PR-opened webhook → first dashboard row with its prUrl
  --help             this text`;

/** A command line the harness does not understand: the problem, then the usage. */
export class BenchUsageError extends Error {
  constructor(problem: string) {
    super(`${problem}\n\n${USAGE}`);
  }
}

/** `--help` / `-h` anywhere: the usage, and nothing else happens. */
export const wantsHelp = (argv: string[]): boolean => argv.includes('--help') || argv.includes('-h');

const positive = (name: string, v: string | undefined, fallback: number, min = 0): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new BenchUsageError(`--${name} must be a number ≥ ${min}, got "${v}"`);
  return n;
};

/** The port the harness's own cluster listens on: --port, else PORT, else 3900. */
function clusterPort(flag: string | undefined, env: NodeJS.ProcessEnv): number {
  if (flag !== undefined) return Math.round(positive('port', flag, 0, 1));
  if (env.PORT === undefined || env.PORT === '') return 3900;
  const port = Number(env.PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new BenchUsageError(`PORT must be a port number, got "${env.PORT}"`);
  return port;
}

const OPTIONS = {
  sockets: { type: 'string' },
  rate: { type: 'string' },
  duration: { type: 'string' },
  out: { type: 'string' },
  url: { type: 'string' },
  'data-dir': { type: 'string' },
  baseline: { type: 'boolean' },
  'no-baseline': { type: 'boolean' },
  orgs: { type: 'string' },
  users: { type: 'string' },
  children: { type: 'string' },
  'connect-rate': { type: 'string' },
  'join-probe-rate': { type: 'string' },
  'poll-auth': { type: 'string' },
  sweep: { type: 'string' },
  chart: { type: 'string' },
  port: { type: 'string' },
  nodes: { type: 'string' },
  workers: { type: 'string' },
  'slow-share': { type: 'string' },
  'slow-kbps': { type: 'string' },
  'max-buffered-bytes': { type: 'string' },
  'scale-to': { type: 'string' },
  'scale-after': { type: 'string' },
  'kill-after': { type: 'string' },
  restart: { type: 'boolean' },
} as const;

/** Parses the command line (and PORT from `env`); a problem throws BenchUsageError, whose message ends with the usage. */
export function parseBenchArgs(argv: string[], env: NodeJS.ProcessEnv = {}): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    // node:util's own words ("Unknown option '--sockts'…"), then what the harness does understand.
    throw new BenchUsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const scenario = positionals[0] as ScenarioName | undefined;
  if (!scenario || !SCENARIOS.includes(scenario) || positionals.length > 1)
    throw new BenchUsageError(scenario ? `Unknown scenario "${positionals.join(' ')}".` : 'Missing scenario.');
  if (values.url && !/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?\/?$/.test(values.url))
    throw new BenchUsageError('--url must point at this machine (127.0.0.0/8, localhost or [::1])');
  const d = DEFAULTS[scenario];
  const pollAuth = values['poll-auth'] ?? 'cookie';
  if (pollAuth !== 'cookie' && pollAuth !== 'bearer') throw new BenchUsageError(`--poll-auth must be cookie or bearer, got "${pollAuth}"`);
  const sockets = Math.round(positive('sockets', values.sockets, d.sockets, 1));
  const orgs = Math.round(positive('orgs', values.orgs, d.orgs, 1));
  const nodes = Math.round(positive('nodes', values.nodes, 2, 1));
  const sweep = (values.sweep ?? '')
    .split(',')
    .filter(Boolean)
    .map((r) => positive('sweep', r, 0, 0.01));
  return Object.freeze({
    scenario,
    sockets,
    rate: positive('rate', values.rate, d.rate),
    durationS: positive('duration', values.duration, d.durationS, 1),
    out: values.out,
    url: values.url?.replace(/\/+$/, ''),
    dataDir: values['data-dir'],
    baseline: values['no-baseline'] ? false : (values.baseline ?? d.baseline),
    orgs,
    // Enough users that per-user limits never shape the result: ~10 sockets each, at least 5 per org.
    users: Math.round(
      positive('users', values.users, Math.min(1000, Math.max(orgs * 5, Math.ceil(sockets / 10), scenario === 'smoke' ? 50 : 100)), 1),
    ),
    children: Math.round(positive('children', values.children, Math.min(4, Math.max(2, Math.ceil(sockets / 2000))), 1)),
    connectRate: positive('connect-rate', values['connect-rate'], 0),
    pollAuth,
    joinProbeRate: positive('join-probe-rate', values['join-probe-rate'], 5),
    sweep,
    chart: values.chart,
    port: clusterPort(values.port, env),
    nodes,
    scaleTo: Math.round(positive('scale-to', values['scale-to'], nodes * 2, 1)),
    scaleAfterS: positive('scale-after', values['scale-after'], 20),
    killAfterS: positive('kill-after', values['kill-after'], 20),
    restart: values.restart ?? false,
    workers: Math.round(positive('workers', values.workers, 1, 1)),
    slowShare: Math.min(1, positive('slow-share', values['slow-share'], 0.01)),
    slowKbps: positive('slow-kbps', values['slow-kbps'], 50, 1),
    maxBufferedBytes:
      values['max-buffered-bytes'] === undefined ? undefined : Math.round(positive('max-buffered-bytes', values['max-buffered-bytes'], 0)),
  });
}
