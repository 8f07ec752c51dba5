import path from 'node:path';
import { Type } from '@sinclair/typebox';
import {
  ConfigError,
  databaseEnv,
  described,
  Env,
  githubEnv,
  jobRetryEnv,
  parseEnv,
  processEnv,
  redisEnv,
  repoList,
  sharedSettings,
  tracingEnv,
  tracingSettings,
} from '@taskflow/platform';
import { proxyList } from './http/trusted-proxies';

/**
 * The server node's configuration: parsed once at start, frozen, every bad variable listed. Each `description` is docs/configuration.md.
 * The variables the worker reads too are libs/platform's fragments (env-fragments.ts).
 */
export const ServerEnvSchema = Type.Object({
  PORT: described(Env.port(3000), 'HTTP port of the server node (the API, the sockets and the web app).'),
  HOST: Type.String({ default: '0.0.0.0', description: 'Interface to listen on (`npm start` sets `127.0.0.1`).' }),
  ...databaseEnv(10),
  ...redisEnv,
  ...processEnv('server'),
  ...tracingEnv('server'),
  REQUEST_LOG_LEVEL: described(
    Env.optionalLogLevel(),
    'Level of the per-request lines (`incoming request`, `request completed`); unset: `debug` when stdout is a terminal ' +
      '(hidden under the default `LOG_LEVEL`), else `info`. A failed request still logs its error.',
  ),
  JWT_SECRET: described(Env.secret(), 'Secret for signing session tokens (the stack generates one into `DATA_DIR/secrets.json`).'),
  JWT_TTL_SECONDS: Type.Integer({
    minimum: 60,
    maximum: 30 * 86_400,
    default: 12 * 3600,
    description: 'Lifetime of Bearer tokens (`POST /api/auth/login`, API clients).',
  }),
  TOKEN_VERSION_CACHE_MS: Type.Integer({
    minimum: 0,
    maximum: 60_000,
    default: 5000,
    description:
      "How long a node trusts its cached copy of a user's token version and disabled flag: the most a revoked Bearer " +
      "token (sign out everywhere, a disabled account) keeps working on a node that missed the revocation's broadcast " +
      '([operations](operations.md#ending-sessions-and-tokens)).',
  }),
  SESSION_IDLE_MINUTES: Type.Number({
    exclusiveMinimum: 0,
    maximum: 7 * 1440,
    default: 120,
    description:
      'A browser session (httpOnly cookie) ends after this long without use; it slides while used (fractions allowed, for tests).',
  }),
  SESSION_MAX_HOURS: Type.Number({
    exclusiveMinimum: 0,
    maximum: 90 * 24,
    default: 7 * 24,
    description: "Hard cap on a browser session's life, however busy.",
  }),
  GITHUB_REPOS: described(
    Env.repos(''),
    'Repositories to register at start-up for a first deployment: `owner/name` for the org whose slug is the owner, ' +
      '`org:owner/name` for another; the first an org gets is its default. Only into an org that owns none yet, never one ' +
      "another org owns; afterwards the org's admins manage them (`POST`/`DELETE /api/repos`), but only under the GitHub " +
      'owners seeded here: every org shares the one `GITHUB_TOKEN` ' +
      '([repositories belong to orgs](architecture.md#repositories-belong-to-orgs)).',
  ),
  GITHUB_WEBHOOK_SECRET: Type.String({ minLength: 16, description: 'Secret GitHub signs webhooks with (the stack generates one).' }),
  WEBHOOK_REPLAY_WINDOW_HOURS: Type.Number({
    exclusiveMinimum: 0,
    maximum: 30 * 24,
    default: 72,
    description:
      'How long a signed webhook body is remembered (Redis, with a TTL): the same bytes under another `X-GitHub-Delivery` ' +
      'within it answer `200 duplicate` (the signature does not cover the id). GitHub redelivers deliveries of the past 3 days; its Redeliver keeps the id and is applied.',
  }),
  ...githubEnv,
  ...jobRetryEnv,
  FEATURE_WEBSOCKET_ENABLED: described(Env.bool(true), 'Feature flag: the whole Socket.IO gateway.'),
  FEATURE_WEBSOCKET_DASHBOARD: described(Env.bool(true), "Feature flag: the gateway's dashboard rooms."),
  FEATURE_WEBSOCKET_TASK_DETAIL: described(Env.bool(true), "Feature flag: the gateway's task rooms."),
  WEBSOCKET_CORS_ORIGIN: Type.String({
    default: 'http://localhost:3000,http://127.0.0.1:3000',
    description:
      "Browser origins allowed to open a socket (comma-separated); WebSocket is not covered by CORS. The stack sets its own URL's.",
  }),
  WEBSOCKET_MAX_FRAME_BYTES: Type.Integer({
    minimum: 1024,
    maximum: 1_048_576,
    default: 32 * 1024,
    description: 'Largest socket frame a client may send.',
  }),
  WEBSOCKET_FANOUT_CHUNK: Type.Integer({
    minimum: 0,
    maximum: 100_000,
    default: 0,
    description:
      "Sockets a broadcast is written to per turn of the node's event loop, yielding between chunks, so health checks and " +
      'new connections are served during large fan-outs; `0` writes each broadcast at once. Off by default: `256` cut the ' +
      "nodes' event-loop delay p99 about 3× at 2,000 sockets but made delivery p99 slightly worse " +
      '([benchmarks](benchmarks.md#yielding-fan-out-on-the-nodes-ab)).',
  }),
  WEBSOCKET_BATCH_WINDOW_MS: Type.Integer({
    minimum: 0,
    maximum: 1000,
    default: 10,
    description:
      'For sockets that joined their dashboard with `batch: true` (the `@taskflow/client` library does), dashboard events ' +
      "arriving within this many ms of the room's last frame wait and go out together as one `dashboard:batch` frame, a row " +
      'superseded by a later one of the same task left out. The first event after a quiet window waits for no timer (it ' +
      'goes with whatever else the same read from Redis brought, such as its counts). `0`: ' +
      'one frame per event.',
  }),
  WEBSOCKET_BATCH_MAX_WINDOW_MS: Type.Integer({
    minimum: 0,
    maximum: 1000,
    default: 200,
    description:
      "While the node's event loop is behind (libuv's delay p90, read every 250 ms), the batch window widens up to this " +
      'many ms, following the delay, and narrows again by halves: a saturated node already delays every frame that long, ' +
      'and fewer, fuller frames give it CPU back. `0` (or not above `WEBSOCKET_BATCH_WINDOW_MS`): a fixed window. At 2,000 ' +
      'sockets of one org it cut delivery p99 2.2–3× and let every task finish inside the window; a node that keeps up ' +
      'never widens it ([benchmarks](benchmarks.md#one-big-org-a-batch-window-that-widens-while-the-nodes-are-behind-issue-20-ab)).',
  }),
  WEBSOCKET_MAX_BUFFERED_BYTES: Type.Integer({
    minimum: 0,
    maximum: 256 * 1_048_576,
    default: 1_048_576,
    description:
      'Bytes a node may hold queued for one socket (a paused client, a slow link). Past it, broadcasts to the socket are ' +
      "skipped, so the node's memory stays flat; once the socket drains below a quarter of it, it is told `sync:required` " +
      'with reason `fell_behind` and catches up from PostgreSQL, nothing lost ([websocket](websocket.md)). `0`: unbounded.',
  }),
  REBALANCE_MAX_SHARE_PER_SECOND: Type.Number({
    minimum: 0,
    maximum: 1,
    // 0.5 %: at 1 % the reconnects' joins doubled the delivery p99 while 8,000 sockets moved (docs/benchmarks.md).
    default: 0.005,
    description:
      "After a scale-out the new nodes start empty: a node holding more than its share of the cluster's sockets (the " +
      "mean over the live nodes' snapshots, `ADMIN_STATS_INTERVAL_MS`) asks at most this share of its sockets per second " +
      'to reconnect now (`connection:reconnect`), and the load balancer sends them to the emptier nodes. `0`: never.',
  }),
  REBALANCE_MARGIN: Type.Number({
    minimum: 0,
    maximum: 10,
    default: 0.05,
    description: 'A node sheds sockets only while it holds more than the mean × (1 + this), and stops there.',
  }),
  REBALANCE_MIN_EXCESS: Type.Integer({
    minimum: 1,
    default: 20,
    description: 'Nor while it holds fewer than this many sockets above the mean: moving a handful is churn, not balance.',
  }),
  REBALANCE_INTERVAL_MS: Type.Integer({
    minimum: 100,
    maximum: 60_000,
    default: 1000,
    description: 'How often a node decides whether to shed sockets; the moves of one decision are spread over the interval.',
  }),
  WEBSOCKET_RATE_PER_SOCKET: Type.Integer({
    minimum: 1,
    default: 20,
    description: 'Client messages per second per socket (Redis-backed, across nodes).',
  }),
  WEBSOCKET_RATE_PER_USER: Type.Integer({
    minimum: 1,
    default: 60,
    description: 'Client messages per second per user, all their sockets together (across nodes).',
  }),
  WEBSOCKET_MAX_SOCKETS_PER_USER: Type.Integer({
    minimum: 1,
    default: 30,
    description:
      'Sockets one user may have open across nodes; beyond, `connect_error` `TOO_MANY_SOCKETS`. Each socket costs every node memory and fan-out work.',
  }),
  WEBSOCKET_CONNECTS_PER_MINUTE: Type.Integer({
    minimum: 1,
    default: 60,
    description: 'New socket connections a minute per user; beyond, `connect_error` `SOCKET_RATE_LIMITED`.',
  }),
  LIVE_ROLLOUT_REFRESH_MS: Type.Integer({
    minimum: 100,
    maximum: 300_000,
    default: 30_000,
    description:
      "How often a node compares the live rollout's version with its copy in memory: the most a node that missed a " +
      "change's broadcast keeps deciding on the old rollout ([operations](operations.md#rolling-out-live-updates)).",
  }),
  PRESENCE_TTL_MS: Type.Integer({
    minimum: 1000,
    default: 30_000,
    description: 'How long a viewer stays listed after their node stops refreshing (a node died).',
  }),
  DRAIN_DELAY_MS: Type.Integer({
    minimum: 0,
    maximum: 60_000,
    default: 0,
    description: 'On SIGTERM, how long readiness fails before sockets are closed, so the load balancer notices (`npm run cluster`: 2500).',
  }),
  WEB_DIST_DIR: Type.String({
    default: path.resolve(__dirname, '../../web/dist'),
    description: 'The built web app this node serves (`npm run build`; the local stack builds it when missing or stale).',
  }),
  MIGRATE_ON_START: described(Env.bool(true), 'Apply pending migrations at boot (safe on several nodes: they take an advisory lock).'),
  SEED_DEMO: described(
    Env.bool(false),
    'Create the demo orgs and users at boot (never done unless asked; the stack asks with its embedded database).',
  ),
  DEMO_PASSWORD: Type.String({ minLength: 4, default: 'taskflow', description: 'Password of the demo users.' }),
  TRUSTED_PROXIES: Type.String({
    pattern: '^\\s*[0-9A-Za-z.:/_\\s,-]+$',
    default: 'loopback',
    description:
      "The proxies in front of the node (HAProxy's address; a cloud load balancer's range too): IPs, CIDRs, `loopback`, " +
      '`linklocal`, `uniquelocal`, comma-separated; `none` trusts nobody (`npm start`, `npm run dev`). The client is the first ' +
      '`X-Forwarded-For` entry from the right that is not one of them ([operations](operations.md#client-addresses-trusted_proxies)).',
  }),
  METRICS_PORT: described(
    Env.port(0),
    'Port of the separate listener serving Prometheus `/metrics`, never on `PORT` (so the public balancer cannot reach it); `0` picks a free port, logged at start.',
  ),
  METRICS_HOST: Type.String({ default: '127.0.0.1', description: 'Interface of the metrics listener.' }),
  HSTS_MAX_AGE_SECONDS: Type.Integer({
    minimum: 0,
    maximum: 2 * 365 * 86_400,
    default: 0,
    description:
      "`Strict-Transport-Security` max-age on HTTPS responses (TLS here or a trusted proxy's `X-Forwarded-Proto: https`); " +
      '`0` sends none. Switch it on only once every host name of the site serves HTTPS ([TLS layouts](operations.md#tls-layouts)).',
  }),
  LOGIN_MAX_FAILURES: Type.Integer({
    minimum: 1,
    default: 10,
    description:
      'Failed logins allowed per client address and username in the window (across nodes); an attempt is counted before its ' +
      'password is checked and given back when it was right, so parallel guesses cannot slip past.',
  }),
  LOGIN_MAX_FAILURES_PER_ADDRESS: Type.Integer({
    minimum: 1,
    default: 100,
    description: 'Failed logins allowed per client address in the window.',
  }),
  LOGIN_MAX_FAILURES_PER_USER: Type.Integer({
    minimum: 1,
    default: 20,
    description:
      "Failed logins allowed per username from all addresses together. Consulted only once an address's own budget is " +
      'spent (many users behind one NAT): their logins are still checked until this one is spent too.',
  }),
  LOGIN_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900, description: 'The window of the failed-login limits.' }),
  LOGIN_CHECK_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 64,
    default: 2,
    description:
      "Password checks (scrypt, ~100 ms of CPU each, plus a database read) this node runs at once: a login flood cannot stall the node's other work, `/api/ready` included.",
  }),
  LOGIN_CHECK_QUEUE: Type.Integer({
    minimum: 0,
    maximum: 10_000,
    default: 64,
    description: 'Password checks that may wait for one of those; beyond, `503 LOGIN_BUSY` with `Retry-After`.',
  }),
  LOGIN_CHECKS_PER_ADDRESS: Type.Integer({
    minimum: 1,
    default: 10,
    description: 'Password checks one client address may have running or waiting on a node; beyond, `429`.',
  }),
  TASK_CREATE_PER_MINUTE: Type.Integer({
    minimum: 1,
    default: 30,
    description: 'Task creations per user a minute (each costs an LLM call).',
  }),
  TASK_WRITE_PER_MINUTE: Type.Integer({
    minimum: 1,
    default: 60,
    description: 'Other task writes (clarify, retry, cancel) per user a minute.',
  }),
  STATS_PER_MINUTE: Type.Integer({ minimum: 1, default: 60, description: '`GET /api/stats` requests per user a minute.' }),
  TASK_LIST_PER_MINUTE: Type.Integer({
    minimum: 1,
    default: 120,
    description:
      '`GET /api/tasks` requests (search and counts included) per user a minute; a filtered dashboard tab reloads it at most every 5 s, so three such tabs fit.',
  }),
  TASK_READ_PER_MINUTE: Type.Integer({
    minimum: 1,
    default: 300,
    description: '`GET /api/tasks/:id` and timeline pages per user a minute.',
  }),
  TASK_READS_IN_FLIGHT_PER_USER: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 4,
    description:
      "Task reads one user may have running at once on a node (beyond: 429), so a burst of searches cannot hold the database pool everyone's requests share.",
  }),
  TIMELINE_PAGE_SIZE: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 100,
    description:
      "Timeline events a task's detail (`GET /api/tasks/:id`, `task:join`) carries, the latest; older pages via `GET /api/tasks/:id/events?before=`.",
  }),
  STATS_CACHE_MS: Type.Integer({
    minimum: 0,
    default: 5000,
    description: "How long an org's statistics are served from this node's cache (`0`: no cache).",
  }),
  ADMIN_STATS_INTERVAL_MS: Type.Integer({
    minimum: 100,
    maximum: 60_000,
    default: 2000,
    description: 'How often this node writes its snapshot for the operations view (`/admin`) to Redis.',
  }),
});

export function loadServerConfig(env: NodeJS.ProcessEnv = process.env, stdoutIsTerminal = process.stdout.isTTY === true) {
  const parsed = parseEnv(ServerEnvSchema, env);
  return Object.freeze({
    ...parsed,
    // On a terminal they would be most of what a developer reads; containers and pipes keep them (JSON, info).
    REQUEST_LOG_LEVEL: parsed.REQUEST_LOG_LEVEL ?? (stdoutIsTerminal ? 'debug' : 'info'),
    ...sharedSettings(parsed),
    tracing: tracingSettings(parsed),
    repoSeeds: Object.freeze(repoList(parsed.GITHUB_REPOS).map((r) => Object.freeze(r))),
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

/**
 * The one-shot migration job (`migrate.ts`, run before the nodes in containers): only what it uses. Exported for
 * libs/devstack's compose spec, which reads it by name in a child process (so no import shows it to knip).
 * @public
 */
export const MigrateEnvSchema = Type.Pick(ServerEnvSchema, ['DATABASE_URL', 'LOG_LEVEL', 'SEED_DEMO', 'DEMO_PASSWORD', 'NODE_ID']);

export function loadMigrateConfig(env: NodeJS.ProcessEnv = process.env) {
  return parseEnv(MigrateEnvSchema, env);
}

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
