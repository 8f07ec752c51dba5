import { Type } from '@sinclair/typebox';
import {
  databaseEnv,
  described,
  Env,
  githubEnv,
  jobRetryEnv,
  parseEnv,
  processEnv,
  redisEnv,
  sharedSettings,
  tracingEnv,
  tracingSettings,
} from '@taskflow/platform';

/**
 * The worker's configuration: parsed once at start, frozen, every bad variable listed. Each `description` is docs/configuration.md.
 * The variables the server reads too are libs/platform's fragments (env-fragments.ts).
 */
export const WorkerEnvSchema = Type.Object({
  ...databaseEnv(5),
  ...redisEnv,
  ...processEnv('worker'),
  ...tracingEnv('worker'),
  WORKER_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 100, default: 4, description: 'Jobs a worker runs at once per queue.' }),
  ...jobRetryEnv,
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
  WORKER_STUCK_AFTER_MS: Type.Integer({
    minimum: 1000,
    default: 30_000,
    description:
      "How long jobs may wait while a queue's worker has a free slot and starts none before it is replaced by a new one " +
      '(after a Redis failover a BullMQ worker can stop fetching without an error).',
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
  ...githubEnv,
  HEARTBEAT_FILE: described(
    Type.Optional(Type.String({ minLength: 1 })),
    'A file the worker touches every 5 s once it takes jobs, and removes when it stops: what an exec probe reads, a worker ' +
      'having no port (deploy/kubernetes: `/tmp/worker-heartbeat`); unset, none is written.',
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
    ...sharedSettings(parsed),
    tracing: tracingSettings(parsed),
  });
}
export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;
