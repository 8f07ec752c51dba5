import { Type } from '@sinclair/typebox';
import { ConfigError, described, Env } from './config';
import { githubWebHost } from './github-host';

/*
 * The variables the server and the worker both read, declared once and spread into each app's schema, so that a
 * bound, a default or a description (docs/configuration.md) cannot differ between them by accident.
 */

const PREFIX_PATTERN = '^[A-Za-z0-9_-]+$';
const HOST_PORT = '[A-Za-z0-9.-]+:[0-9]{1,5}';

/** How a process names itself and how much it logs; `role` prefixes the default node id (`server-<pid>`). */
export const processEnv = (role: string) => ({
  LOG_LEVEL: described(Env.logLevel(), 'pino level (lines are pretty on a terminal, JSON otherwise).'),
  NODE_ID: Type.String({ default: `${role}-${process.pid}`, description: 'Name of this node in logs and health output.' }),
});

/** OpenTelemetry traces (tracing.ts): off unless an OTLP endpoint is set; `role` names the service by default. */
export const tracingEnv = (role: string) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: described(
    Type.Optional(Env.url()),
    'OTLP/HTTP collector (e.g. `http://otel-collector:4318`; spans go to `/v1/traces`): traces of each change from the ' +
      'webhook request through the job, the transaction, the outbox publish and the broadcast to the socket emit. Unset, tracing is off.',
  ),
  OTEL_SERVICE_NAME: Type.String({
    minLength: 1,
    default: `taskflow-${role}`,
    description: 'The `service.name` of this process in traces.',
  }),
  OTEL_BSP_SCHEDULE_DELAY: Type.Integer({
    minimum: 100,
    maximum: 60_000,
    default: 5000,
    description: 'Longest a finished span waits before it is exported (milliseconds).',
  }),
});

/** The tracing settings (tracing.ts) from the parsed `tracingEnv` variables. */
export function tracingSettings(parsed: {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_SERVICE_NAME: string;
  OTEL_BSP_SCHEDULE_DELAY: number;
}) {
  return Object.freeze({
    endpoint: parsed.OTEL_EXPORTER_OTLP_ENDPOINT,
    serviceName: parsed.OTEL_SERVICE_NAME,
    exportDelayMs: parsed.OTEL_BSP_SCHEDULE_DELAY,
  });
}

/** PostgreSQL and its pool; `poolSize`: the app's default number of connections. */
export const databaseEnv = (poolSize: number) => ({
  DATABASE_URL: described(Env.url(), 'PostgreSQL to use.'),
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: poolSize, description: 'PostgreSQL connections per process.' }),
  DB_CONNECT_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 5000,
    description: 'How long to wait for a PostgreSQL connection (new, or a free one of the pool) before the request or job fails.',
  }),
  DB_QUERY_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    default: 60_000,
    description:
      'PostgreSQL `statement_timeout` of every query (`0`: none); the health and readiness probes give up after 1 s whatever it is.',
  }),
});

/** Redis, and the key prefixes servers and workers must agree on. */
export const redisEnv = {
  REDIS_URL: described(
    Env.url(),
    'Redis to use (`redis://:<password>@host:port`); with `REDIS_MODE=cluster`, only its user, password and ' +
      '`rediss://` (TLS) count, for every node of the cluster.',
  ),
  REDIS_MODE: Type.Union([Type.Literal('single'), Type.Literal('cluster')], {
    default: 'single',
    description:
      '`single`: one Redis (`REDIS_URL`); `cluster`: a Redis Cluster (`REDIS_CLUSTER_NODES`), with sharded pub/sub for the ' +
      'socket fan-out (a node subscribes only to the rooms it hosts) and hash-tagged keys.',
  }),
  REDIS_CLUSTER_NODES: Type.Optional(
    Type.String({
      pattern: `^\\s*${HOST_PORT}(\\s*,\\s*${HOST_PORT})*\\s*$`,
      description:
        'With `REDIS_MODE=cluster` (then required): some nodes of the Redis Cluster, `host:port,host:port`; the others are discovered.',
    }),
  ),
  QUEUE_PREFIX: Type.String({
    pattern: PREFIX_PATTERN,
    default: 'taskflow',
    description:
      'Prefix of every BullMQ key; servers and workers must use the same one. With `REDIS_MODE=cluster` the keys are ' +
      'under `{<prefix>}`, a hash tag that keeps every queue in one slot, which BullMQ needs.',
  }),
  REDIS_KEY_PREFIX: Type.Optional(
    Type.String({
      pattern: PREFIX_PATTERN,
      description:
        "Prefix of the app's other Redis keys: presence, socket and HTTP rate limits, the operations view's node snapshots " +
        "(servers), the built-in GitHub sandbox's issue numbers (workers); unset, `QUEUE_PREFIX`'s value.",
    }),
  ),
};

/** Retries of pipeline jobs: the server enqueues with them, the worker runs them. */
export const jobRetryEnv = {
  JOB_ATTEMPTS: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 12,
    description:
      'Attempts per pipeline job before it is parked (failed, replayable: `npm run jobs`) and its task fails; the delay ' +
      'doubles from `JOB_BACKOFF_MS` up to `JOB_BACKOFF_MAX_MS`, so the defaults ride out about 6 minutes of outage.',
  }),
  JOB_BACKOFF_MS: Type.Integer({
    minimum: 0,
    default: 1000,
    description: "A pipeline job's first retry delay (doubled each attempt up to `JOB_BACKOFF_MAX_MS`).",
  }),
};

/** Which GitHub: its API, and the web host every issue and PR link must be on. */
export const githubEnv = {
  GITHUB_API_URL: described(
    Env.url('https://api.github.com'),
    'GitHub (Enterprise) API base URL; its web host is the only one PR links may point to.',
  ),
  GITHUB_WEB_URL: described(
    Type.Optional(Env.url()),
    "GitHub's web address when it cannot be derived from `GITHUB_API_URL` (`api.github.com` → `github.com`, " +
      '`https://ghe.example/api/v3` → `ghe.example`); issue and PR links must be `https://` URLs on it, others are ignored.',
  ),
};

export interface RedisClusterSeed {
  readonly host: string;
  readonly port: number;
}

/** How to reach Redis: one server, or a cluster's seed nodes (with REDIS_URL's credentials and TLS for every node). */
export type RedisSettings =
  | { readonly mode: 'single'; readonly url: string }
  | { readonly mode: 'cluster'; readonly url: string; readonly nodes: readonly RedisClusterSeed[] };

/** REDIS_MODE with REDIS_URL and REDIS_CLUSTER_NODES; a ConfigError when cluster mode has no usable node list. */
export function redisSettings(parsed: {
  REDIS_URL: string;
  REDIS_MODE: 'single' | 'cluster';
  REDIS_CLUSTER_NODES?: string;
}): RedisSettings {
  if (parsed.REDIS_MODE === 'single') return Object.freeze({ mode: 'single', url: parsed.REDIS_URL });
  const entries = (parsed.REDIS_CLUSTER_NODES ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new ConfigError(['REDIS_CLUSTER_NODES: required with REDIS_MODE=cluster (host:port,host:port)']);
  const nodes = entries.map((entry) => {
    const at = entry.lastIndexOf(':');
    return Object.freeze({ host: entry.slice(0, at), port: Number(entry.slice(at + 1)) });
  });
  const bad = nodes.filter((n) => n.port < 1 || n.port > 65_535);
  if (bad.length > 0)
    throw new ConfigError([`REDIS_CLUSTER_NODES: port out of range in ${bad.map((n) => `${n.host}:${n.port}`).join(', ')}`]);
  return Object.freeze({ mode: 'cluster', url: parsed.REDIS_URL, nodes: Object.freeze(nodes) });
}

/** What both apps derive from the shared variables once they are parsed. */
export function sharedSettings(parsed: {
  REDIS_URL: string;
  REDIS_MODE: 'single' | 'cluster';
  REDIS_CLUSTER_NODES?: string;
  QUEUE_PREFIX: string;
  REDIS_KEY_PREFIX?: string;
  GITHUB_API_URL: string;
  GITHUB_WEB_URL?: string;
}) {
  return {
    redis: redisSettings(parsed),
    // Defaults to QUEUE_PREFIX, under which these keys lived before they had a prefix of their own.
    REDIS_KEY_PREFIX: parsed.REDIS_KEY_PREFIX ?? parsed.QUEUE_PREFIX,
    githubWebHost: githubWebHost({ apiUrl: parsed.GITHUB_API_URL, webUrl: parsed.GITHUB_WEB_URL }),
  };
}
