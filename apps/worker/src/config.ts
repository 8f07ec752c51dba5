import { Type } from '@sinclair/typebox';
import { described, Env, githubWebHost, parseEnv } from '@taskflow/platform';

/** The worker's configuration: parsed once at start, frozen, every bad variable listed. Each `description` is docs/configuration.md. */
export const WorkerEnvSchema = Type.Object({
  DATABASE_URL: described(Env.url(), 'PostgreSQL to use.'),
  REDIS_URL: described(Env.url(), 'Redis to use (`redis://:<password>@host:port`).'),
  LOG_LEVEL: described(Env.logLevel(), 'pino level (lines are pretty on a terminal, JSON otherwise).'),
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 5, description: 'PostgreSQL connections per process.' }),
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
  NODE_ID: Type.String({ default: `worker-${process.pid}`, description: 'Name of this node in logs and health output.' }),
  QUEUE_PREFIX: Type.String({
    pattern: '^[A-Za-z0-9_-]+$',
    default: 'taskflow',
    description: 'Prefix of every BullMQ key; servers and workers must use the same one.',
  }),
  REDIS_KEY_PREFIX: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]+$',
      description:
        "Prefix of the app's other Redis keys: presence, socket and HTTP rate limits, the operations view's node snapshots " +
        "(servers), the built-in GitHub sandbox's issue numbers (workers); unset, `QUEUE_PREFIX`'s value.",
    }),
  ),
  WORKER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 100, default: 4, description: 'Jobs a worker runs at once per queue.' }),
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
  JOB_BACKOFF_MAX_MS: Type.Integer({ minimum: 0, default: 60_000, description: 'The cap of the retry delay.' }),
  STALLED_INTERVAL_MS: Type.Integer({
    minimum: 500,
    default: 30_000,
    description: 'How often BullMQ checks for jobs whose worker died (stalled), which another worker then takes over.',
  }),
  LOCK_DURATION_MS: Type.Integer({
    minimum: 1000,
    default: 30_000,
    description:
      "How long a job's lock lasts without its worker renewing it: with `STALLED_INTERVAL_MS`, how soon a dead worker's job is taken over.",
  }),
  JOB_MAX_STALLED: Type.Integer({
    minimum: 0,
    maximum: 100,
    default: 8,
    description:
      'Worker deaths a job survives before it is parked and its task failed: a job that crashes every worker stops, ' +
      'crashes of the worker for other reasons (OOM, deploys, kills) do not fail the tasks it happened to hold.',
  }),
  RECONCILE_AFTER_MS: Type.Integer({
    minimum: 1000,
    default: 60_000,
    description: 'Re-enqueue tasks left in received/analyzing this long (their job was lost).',
  }),
  PUBLISH_SWEEP_MS: Type.Integer({ minimum: 100, default: 2000, description: 'How often the publishing worker sweeps the outbox.' }),
  PUBLISH_SWEEP_OLDER_THAN_MS: Type.Integer({
    minimum: 0,
    default: 3000,
    description: 'How old an unpublished event must be for the sweep to re-publish it.',
  }),
  PUBLISH_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 2000,
    description: 'How long the publisher waits for Redis to acknowledge a broadcast before leaving it to the sweep.',
  }),
  LLM_API_KEY: described(
    Type.Optional(Type.String({ minLength: 1 })),
    'Key of an OpenAI-compatible chat-completions API; unset, a built-in rule-based analyzer runs (the timeline says so).',
  ),
  LLM_BASE_URL: described(Type.Optional(Env.url()), "Base URL of that API (any compatible endpoint); unset, OpenAI's."),
  LLM_MODEL: Type.String({ default: 'gpt-4o-mini', description: 'Model name.' }),
  LLM_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 60_000, description: 'Timeout of one LLM request.' }),
  GITHUB_TOKEN: described(
    Type.Optional(Type.String({ minLength: 1 })),
    'Token for creating issues on GitHub; it must be able to read `GET /user` (the worker adopts an existing issue only ' +
      'if this user opened it). Unset, a built-in sandbox numbers issues (URLs on `sandbox.taskflow.invalid`).',
  ),
  GITHUB_API_URL: described(
    Env.url('https://api.github.com'),
    'GitHub (Enterprise) API base URL; its web host is the only one PR links may point to.',
  ),
  GITHUB_WEB_URL: described(
    Type.Optional(Env.url()),
    "GitHub's web address when it cannot be derived from `GITHUB_API_URL` (`api.github.com` → `github.com`, " +
      '`https://ghe.example/api/v3` → `ghe.example`); issue and PR links must be `https://` URLs on it, others are ignored.',
  ),
  APP_URL: described(
    Env.url('http://localhost:3000'),
    'Base URL of the web app, linked from every GitHub issue (the stack sets its own URL).',
  ),
});

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env) {
  const parsed = parseEnv(WorkerEnvSchema, env);
  return Object.freeze({
    ...parsed,
    // Defaults to QUEUE_PREFIX, under which these keys lived before they had a prefix of their own.
    REDIS_KEY_PREFIX: parsed.REDIS_KEY_PREFIX ?? parsed.QUEUE_PREFIX,
    githubWebHost: githubWebHost({ apiUrl: parsed.GITHUB_API_URL, webUrl: parsed.GITHUB_WEB_URL }),
  });
}
export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;
