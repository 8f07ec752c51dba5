import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { Env, parseEnv } from '@taskflow/platform';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** Variables the local stack reads (see README). Parsed once; unknown values fail fast. */
export const StackEnvSchema = Type.Object({
  PORT: Env.port(3000),
  HOST: Type.String({ default: '127.0.0.1' }),
  DATA_DIR: Type.String({ default: path.join(REPO_ROOT, '.data') }),
  DATABASE_URL: Type.Optional(Env.url()),
  REDIS_URL: Type.Optional(Env.url()),
  DEMO_PASSWORD: Type.String({ minLength: 4, default: 'taskflow' }),
  SEED_DEMO: Type.Optional(Type.Boolean()),
  /** `npm start`, `dev`, `cluster`: a few demo tasks in each demo org that has none (only where demo users are seeded). */
  SEED_DEMO_TASKS: Env.bool(true),
  LOG_LEVEL: Env.logLevel(),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  /** `npm run cluster`: server nodes behind HAProxy, and workers. */
  NODES: Type.Integer({ minimum: 1, maximum: 16, default: 2 }),
  WORKERS: Type.Integer({ minimum: 1, maximum: 16, default: 2 }),
  /** `npm run dev`: the port of Vite's dev server (the app's URL; the server node stays on PORT). */
  WEB_DEV_PORT: Env.port(5173),
  /** `npm test`: superuser URL of an existing PostgreSQL to create test databases in (else embedded). */
  TEST_DATABASE_URL: Type.Optional(Env.url()),
  TEST_REDIS_URL: Type.Optional(Env.url()),
  /** `npm test`: keep this many cores busy with a busy loop for the whole run (0: none), to prove the tests under load. */
  TEST_LOAD: Type.Integer({ minimum: 0, maximum: 64, default: 0 }),
});

export function loadStackEnv(env: NodeJS.ProcessEnv = process.env) {
  const parsed = parseEnv(StackEnvSchema, env);
  return { ...parsed, DATA_DIR: path.resolve(parsed.DATA_DIR) };
}
export type StackEnv = ReturnType<typeof loadStackEnv>;
