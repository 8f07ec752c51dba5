import { Type } from '@sinclair/typebox';
import { Env, parseEnv } from '@taskflow/platform';

/** The worker's configuration: parsed once at start, frozen, every bad variable listed. */
export const WorkerEnvSchema = Type.Object({
  DATABASE_URL: Env.url(),
  REDIS_URL: Env.url(),
  LOG_LEVEL: Env.logLevel(),
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
  NODE_ID: Type.String({ default: `worker-${process.pid}` }),
});

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env) {
  return parseEnv(WorkerEnvSchema, env);
}
export type WorkerConfig = ReturnType<typeof loadWorkerConfig>;
