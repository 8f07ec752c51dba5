import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { ConfigError, Env, githubWebHost, parseEnv, repoList } from '@taskflow/platform';
import { proxyList } from './http/trusted-proxies';

/** The server node's configuration: parsed once at start, frozen, every bad variable listed. */
export const ServerEnvSchema = Type.Object({
  PORT: Env.port(3000),
  HOST: Type.String({ default: '0.0.0.0' }),
  DATABASE_URL: Env.url(),
  REDIS_URL: Env.url(),
  LOG_LEVEL: Env.logLevel(),
  /** Level of the per-request lines ("incoming request", "request completed"); unset: debug on a terminal, else info. */
  REQUEST_LOG_LEVEL: Env.optionalLogLevel(),
  JWT_SECRET: Env.secret(),
  /** Session token lifetime. */
  JWT_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 30 * 86_400, default: 12 * 3600 }),
  /**
   * How long a node trusts its cached copy of a user's token version and disabled flag: the most a revoked Bearer
   * token (sign out everywhere, a disabled account) keeps working on a node that missed the revocation's broadcast.
   */
  TOKEN_VERSION_CACHE_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 5000 }),
  /** Browser sessions (httpOnly cookie): minutes without use before one ends (fractions allowed, for tests). */
  SESSION_IDLE_MINUTES: Type.Number({ exclusiveMinimum: 0, maximum: 7 * 1440, default: 120 }),
  /** Hard cap on a browser session's life, however busy. */
  SESSION_MAX_HOURS: Type.Number({ exclusiveMinimum: 0, maximum: 90 * 24, default: 7 * 24 }),
  /**
   * Repositories to register at start-up for a first deployment: `owner/name` for the org whose slug is the owner,
   * `org:owner/name` for another; only into an org that owns none yet (then its admins manage them: /api/repos).
   */
  GITHUB_REPOS: Env.repos(''),
  GITHUB_WEBHOOK_SECRET: Type.String({ minLength: 16 }),
  /**
   * How long a signed webhook body is remembered: the same bytes under another X-GitHub-Delivery within it are a replay
   * (the signature does not cover the id). GitHub redelivers deliveries of the past 3 days.
   */
  WEBHOOK_REPLAY_WINDOW_HOURS: Type.Number({ exclusiveMinimum: 0, maximum: 30 * 24, default: 72 }),
  /** GitHub (Enterprise) API; its web host is the only one PR links may point to. */
  GITHUB_API_URL: Env.url('https://api.github.com'),
  /** GitHub's web address when it cannot be derived from GITHUB_API_URL. */
  GITHUB_WEB_URL: Type.Optional(Env.url()),
  /** Prefix of every BullMQ key; workers must use the same one. */
  QUEUE_PREFIX: Type.String({ pattern: '^[A-Za-z0-9_-]+$', default: 'taskflow' }),
  /** Prefix of this app's other Redis keys (presence, rate limits, admin snapshots); unset, QUEUE_PREFIX's value. */
  REDIS_KEY_PREFIX: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+$' })),
  /** Attempts per pipeline job before it is parked, and the first backoff delay (workers double it up to their cap). */
  JOB_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 100, default: 12 }),
  JOB_BACKOFF_MS: Type.Integer({ minimum: 0, default: 1000 }),
  /** Feature flags (FEATURE_WEBSOCKET_*): the whole gateway, and its dashboard and task-detail rooms. */
  FEATURE_WEBSOCKET_ENABLED: Env.bool(true),
  FEATURE_WEBSOCKET_DASHBOARD: Env.bool(true),
  FEATURE_WEBSOCKET_TASK_DETAIL: Env.bool(true),
  /** Browser origins allowed to open a socket (comma-separated); WebSocket is not covered by CORS. */
  WEBSOCKET_CORS_ORIGIN: Type.String({ default: 'http://localhost:3000,http://127.0.0.1:3000' }),
  /** Largest socket frame a client may send. */
  WEBSOCKET_MAX_FRAME_BYTES: Type.Integer({ minimum: 1024, maximum: 1_048_576, default: 32 * 1024 }),
  /**
   * Sockets a broadcast is written to per turn of the event loop, yielding between chunks; 0 (the default) writes
   * each at once. Off by default: it cut the nodes' event-loop delay but not delivery p99 (docs/benchmarks.md).
   */
  WEBSOCKET_FANOUT_CHUNK: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
  /** Client→server messages allowed per second, per socket and per user (across nodes). */
  WEBSOCKET_RATE_PER_SOCKET: Type.Integer({ minimum: 1, default: 20 }),
  WEBSOCKET_RATE_PER_USER: Type.Integer({ minimum: 1, default: 60 }),
  /**
   * Sockets one user may have open across nodes (beyond: `connect_error` TOO_MANY_SOCKETS), and new connections a
   * minute per user (beyond: SOCKET_RATE_LIMITED). Each socket costs every node memory and fan-out work.
   */
  WEBSOCKET_MAX_SOCKETS_PER_USER: Type.Integer({ minimum: 1, default: 30 }),
  WEBSOCKET_CONNECTS_PER_MINUTE: Type.Integer({ minimum: 1, default: 60 }),
  /** How long a viewer stays listed after their node stops refreshing (a node died). */
  PRESENCE_TTL_MS: Type.Integer({ minimum: 1000, default: 30_000 }),
  /** On SIGTERM, how long readiness fails before sockets are closed (let the load balancer notice). */
  DRAIN_DELAY_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 0 }),
  /** The built web app this node serves (`npm run build` / the local stack builds it). */
  WEB_DIST_DIR: Type.String({ default: path.resolve(__dirname, '../../web/dist') }),
  /** Run pending migrations at boot (safe on several nodes: they take an advisory lock). */
  MIGRATE_ON_START: Env.bool(true),
  /** Create the demo orgs and users at boot (never done unless asked). */
  SEED_DEMO: Env.bool(false),
  DEMO_PASSWORD: Type.String({ minLength: 4, default: 'taskflow' }),
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  /** How long to wait for a PostgreSQL connection (new, or a free one of the pool). */
  DB_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5000 }),
  /** PostgreSQL statement_timeout of every query (0: none). */
  DB_QUERY_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 60_000 }),
  /**
   * The proxies in front of the node (HAProxy's address; a cloud load balancer's range too): IPs, CIDRs or proxy-addr's
   * names (`loopback`, `uniquelocal`), comma-separated; `none` trusts nobody. The client is the first X-Forwarded-For
   * entry from the right that is not one of them.
   */
  TRUSTED_PROXIES: Type.String({ pattern: '^\\s*[0-9A-Za-z.:/_\\s,-]+$', default: 'loopback' }),
  /** Prometheus /metrics listens here, never on PORT (so the public balancer cannot reach it); 0 picks a free port. */
  METRICS_PORT: Env.port(0),
  METRICS_HOST: Type.String({ default: '127.0.0.1' }),
  /**
   * Strict-Transport-Security max-age on HTTPS responses (TLS here or a trusted proxy's X-Forwarded-Proto: https);
   * 0, the default, sends none. Switch it on only once every host name of the site serves HTTPS.
   */
  HSTS_MAX_AGE_SECONDS: Type.Integer({ minimum: 0, maximum: 2 * 365 * 86_400, default: 0 }),
  /** Failed logins allowed per client address and username, and per address, in the window (across nodes). */
  LOGIN_MAX_FAILURES: Type.Integer({ minimum: 1, default: 10 }),
  LOGIN_MAX_FAILURES_PER_ADDRESS: Type.Integer({ minimum: 1, default: 100 }),
  /**
   * Failed logins allowed per username from all addresses together. Consulted only once an address's own budget is
   * spent (many users behind one NAT): their logins are still checked until this one is spent too.
   */
  LOGIN_MAX_FAILURES_PER_USER: Type.Integer({ minimum: 1, default: 20 }),
  LOGIN_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  /**
   * Password checks (scrypt on libuv's 4-thread pool, plus a database read) this node runs at once, how many more may
   * wait (beyond: 503 LOGIN_BUSY with Retry-After), and how many one client address may have running or waiting
   * (beyond: 429). Keeps a login flood from stalling the node's other work, /api/ready included.
   */
  LOGIN_CHECK_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 64, default: 2 }),
  LOGIN_CHECK_QUEUE: Type.Integer({ minimum: 0, maximum: 10_000, default: 64 }),
  LOGIN_CHECKS_PER_ADDRESS: Type.Integer({ minimum: 1, default: 10 }),
  /** Per-user requests a minute: task creations (each costs an LLM call), other task writes, stats reads. */
  TASK_CREATE_PER_MINUTE: Type.Integer({ minimum: 1, default: 30 }),
  TASK_WRITE_PER_MINUTE: Type.Integer({ minimum: 1, default: 60 }),
  STATS_PER_MINUTE: Type.Integer({ minimum: 1, default: 60 }),
  /**
   * Per-user task reads a minute: `GET /api/tasks` (search and counts included), and one task or a page of its
   * timeline. And how many of them one user may have running at once on a node (beyond: 429), so that a burst of
   * searches cannot hold the database pool that everyone's requests share.
   */
  TASK_LIST_PER_MINUTE: Type.Integer({ minimum: 1, default: 120 }),
  TASK_READ_PER_MINUTE: Type.Integer({ minimum: 1, default: 300 }),
  TASK_READS_IN_FLIGHT_PER_USER: Type.Integer({ minimum: 1, maximum: 100, default: 4 }),
  /** Timeline events a task's detail (`GET /api/tasks/:id`, `task:join`) carries: the latest ones; older pages on demand. */
  TIMELINE_PAGE_SIZE: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  /** How long an org's statistics are served from this node's cache. */
  STATS_CACHE_MS: Type.Integer({ minimum: 0, default: 5000 }),
  /** How often this node publishes its snapshot for the operations view (/admin) to Redis. */
  ADMIN_STATS_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 2000 }),
  /** Identifies this node in logs and health output when several run side by side. */
  NODE_ID: Type.String({ default: `server-${process.pid}` }),
});

export function loadServerConfig(env: NodeJS.ProcessEnv = process.env, stdoutIsTerminal = process.stdout.isTTY === true) {
  const parsed = parseEnv(ServerEnvSchema, env);
  return Object.freeze({
    ...parsed,
    // On a terminal they would be most of what a developer reads; containers and pipes keep them (JSON, info).
    REQUEST_LOG_LEVEL: parsed.REQUEST_LOG_LEVEL ?? (stdoutIsTerminal ? 'debug' : 'info'),
    // Defaults to QUEUE_PREFIX, under which these keys lived before they had a prefix of their own.
    REDIS_KEY_PREFIX: parsed.REDIS_KEY_PREFIX ?? parsed.QUEUE_PREFIX,
    repoSeeds: Object.freeze(repoList(parsed.GITHUB_REPOS).map((r) => Object.freeze(r))),
    githubWebHost: githubWebHost({ apiUrl: parsed.GITHUB_API_URL, webUrl: parsed.GITHUB_WEB_URL }),
    trustedProxies: trustedProxies(parsed.TRUSTED_PROXIES),
    allowedOrigins: Object.freeze(
      parsed.WEBSOCKET_CORS_ORIGIN.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    ),
    sessionLimits: Object.freeze({
      idleMs: Math.round(parsed.SESSION_IDLE_MINUTES * 60_000),
      maxAgeMs: Math.round(parsed.SESSION_MAX_HOURS * 3_600_000),
    }),
  });
}
export type ServerConfig = ReturnType<typeof loadServerConfig>;

/** The one-shot migration job (`migrate.ts`, run before the nodes in containers): only what it uses. */
export const MigrateEnvSchema = Type.Pick(ServerEnvSchema, ['DATABASE_URL', 'LOG_LEVEL', 'SEED_DEMO', 'DEMO_PASSWORD', 'NODE_ID']);

export function loadMigrateConfig(env: NodeJS.ProcessEnv = process.env) {
  return parseEnv(MigrateEnvSchema, env);
}
export type MigrateConfig = ReturnType<typeof loadMigrateConfig>;

/** TRUSTED_PROXIES as a list of entries (checked here, so a bad one stops the start), or false for `none`. */
function trustedProxies(value: string): readonly string[] | false {
  const list = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (list.length === 0 || list.includes('none')) return false;
  try {
    proxyList(list);
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }
  return Object.freeze(list);
}
