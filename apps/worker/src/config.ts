import { Type } from '@sinclair/typebox';
import { Env, githubWebHost, parseEnv } from '@taskflow/platform';

/** The worker's configuration: parsed once at start, frozen, every bad variable listed. */
export const WorkerEnvSchema = Type.Object({
  DATABASE_URL: Env.url(),
  REDIS_URL: Env.url(),
  LOG_LEVEL: Env.logLevel(),
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  /** How long to wait for a PostgreSQL connection (new, or a free one of the pool). */
  DB_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5000 }),
  /** PostgreSQL statement_timeout of every query (0: none). */
  DB_QUERY_TIMEOUT_MS: Type.Integer({ minimum: 0, default: 60_000 }),
  NODE_ID: Type.String({ default: `worker-${process.pid}` }),
  /** Prefix of every BullMQ key; servers must use the same one. */
  QUEUE_PREFIX: Type.String({ pattern: '^[A-Za-z0-9_-]+$', default: 'taskflow' }),
  /** Prefix of the worker's other Redis keys (the built-in GitHub sandbox's issue numbers); unset, QUEUE_PREFIX's value. */
  REDIS_KEY_PREFIX: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+$' })),
  WORKER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 100, default: 4 }),
  /**
   * Attempts per job before it is parked (failed, replayable) and its task fails; the delay doubles from
   * JOB_BACKOFF_MS up to JOB_BACKOFF_MAX_MS, so the defaults ride out about 6 minutes of outage.
   */
  JOB_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 100, default: 12 }),
  JOB_BACKOFF_MS: Type.Integer({ minimum: 0, default: 1000 }),
  JOB_BACKOFF_MAX_MS: Type.Integer({ minimum: 0, default: 60_000 }),
  /** How soon a job whose worker died is picked up again (BullMQ stalled-job check). */
  STALLED_INTERVAL_MS: Type.Integer({ minimum: 500, default: 30_000 }),
  LOCK_DURATION_MS: Type.Integer({ minimum: 1000, default: 30_000 }),
  /** Worker deaths a job survives before it is parked (its task failed): a job that crashes every worker stops, crashes of
   *  the worker for other reasons (OOM, deploys, kills) do not fail the tasks it happened to hold. */
  JOB_MAX_STALLED: Type.Integer({ minimum: 0, maximum: 100, default: 8 }),
  /** Re-enqueue tasks left in received/analyzing this long (their job was lost). */
  RECONCILE_AFTER_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  /** How often the publishing worker sweeps the outbox, and how old an unpublished event must be to be swept. */
  PUBLISH_SWEEP_MS: Type.Integer({ minimum: 100, default: 2000 }),
  PUBLISH_SWEEP_OLDER_THAN_MS: Type.Integer({ minimum: 0, default: 3000 }),
  /** How long the publisher waits for Redis to acknowledge a broadcast before leaving it to the sweep. */
  PUBLISH_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 2000 }),
  /** OpenAI-compatible chat-completions endpoint; without a key the built-in analyzer runs. */
  LLM_API_KEY: Type.Optional(Type.String({ minLength: 1 })),
  LLM_BASE_URL: Type.Optional(Env.url()),
  LLM_MODEL: Type.String({ default: 'gpt-4o-mini' }),
  LLM_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  /** Real GitHub when set; otherwise a built-in sandbox numbers issues itself. */
  GITHUB_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  GITHUB_API_URL: Env.url('https://api.github.com'),
  /** GitHub's web address when it cannot be derived from GITHUB_API_URL; issue and PR links must point there. */
  GITHUB_WEB_URL: Type.Optional(Env.url()),
  /** Base URL of the web app, linked from every GitHub issue. */
  APP_URL: Env.url('http://localhost:3000'),
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
