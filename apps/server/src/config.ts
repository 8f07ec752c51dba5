import { Type } from '@sinclair/typebox';
import { Env, parseEnv } from '@taskflow/platform';

/** The server node's configuration: parsed once at start, frozen, every bad variable listed. */
export const ServerEnvSchema = Type.Object({
  PORT: Env.port(3000),
  HOST: Type.String({ default: '0.0.0.0' }),
  DATABASE_URL: Env.url(),
  REDIS_URL: Env.url(),
  LOG_LEVEL: Env.logLevel(),
  /** Run pending migrations at boot (safe on several nodes: they take an advisory lock). */
  MIGRATE_ON_START: Env.bool(true),
  /** Create the demo orgs and users at boot (never done unless asked). */
  SEED_DEMO: Env.bool(false),
  DEMO_PASSWORD: Type.String({ minLength: 4, default: 'taskflow' }),
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  /** Identifies this node in logs and health output when several run side by side. */
  NODE_ID: Type.String({ default: `server-${process.pid}` }),
});

export function loadServerConfig(env: NodeJS.ProcessEnv = process.env) {
  return parseEnv(ServerEnvSchema, env);
}
export type ServerConfig = ReturnType<typeof loadServerConfig>;
