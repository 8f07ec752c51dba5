import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { described, Env, parseEnv } from '@taskflow/platform';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** Variables the local stack reads. Parsed once; unknown values fail fast. Each `description` is docs/configuration.md. */
export const StackEnvSchema = Type.Object({
  PORT: described(Env.port(3000), 'Port of the app: the server node (`npm start`, `dev`), HAProxy (`npm run cluster`).'),
  HOST: Type.String({ default: '127.0.0.1', description: 'Interface the stack listens on.' }),
  DATA_DIR: Type.String({
    default: path.join(REPO_ROOT, '.data'),
    description: "Where the embedded services keep their data, the logs, the generated secrets and the running stack's `stack.json`.",
  }),
  DATABASE_URL: described(Type.Optional(Env.url()), 'PostgreSQL to use; unset, an embedded PostgreSQL is started.'),
  REDIS_URL: described(
    Type.Optional(Env.url()),
    'Redis to use; unset, a private `redis-server` is started, with a password generated into `DATA_DIR/secrets.json` (`npm run services` prints its URL).',
  ),
  REDIS_MODE: Type.Union([Type.Literal('single'), Type.Literal('cluster')], {
    default: 'single',
    description:
      '`npm start`, `cluster`: `cluster` starts a private Redis Cluster instead (3 masters + 3 replicas of `redis-server` on ' +
      'loopback ports, created afresh at each start) and runs the apps with `REDIS_MODE=cluster`; with `REDIS_URL` set, ' +
      'the apps get `REDIS_MODE` and `REDIS_CLUSTER_NODES` as given.',
  }),
  DEMO_PASSWORD: Type.String({ minLength: 4, default: 'taskflow', description: 'Password of the demo users.' }),
  SEED_DEMO: described(
    Type.Optional(Type.Boolean()),
    'Create the demo orgs and users; unset, `true` with the embedded database, else `false`.',
  ),
  SEED_DEMO_TASKS: described(
    Env.bool(true),
    '`npm start`, `dev`, `cluster`: where demo users are seeded, also a few demo tasks (one in each state) in each demo org that has no task yet; test stacks set it to `false`.',
  ),
  LOG_LEVEL: described(Env.logLevel(), 'pino level (lines are pretty on a terminal, JSON otherwise).'),
  JWT_SECRET: described(
    Type.Optional(Type.String({ minLength: 32 })),
    'Secret for signing session tokens; unset, one generated once into `DATA_DIR/secrets.json`.',
  ),
  NODES: Type.Integer({ minimum: 1, maximum: 16, default: 2, description: '`npm run cluster`: server nodes behind HAProxy.' }),
  WORKERS: Type.Integer({ minimum: 1, maximum: 16, default: 2, description: '`npm run cluster`: workers.' }),
  LB_PROCESSES: Type.Integer({
    minimum: 1,
    maximum: 16,
    default: 1,
    description:
      '`npm run cluster`: HAProxy processes sharing `PORT` (SO_REUSEPORT). Each proxied connection takes two descriptors, ' +
      'so one process holds at most about half the hard descriptor limit (9,968 where it is 20,000): more sockets need more.',
  }),
  WEB_DEV_PORT: described(Env.port(5173), "`npm run dev`: the port of Vite's dev server (the app's URL; the server node stays on `PORT`)."),
  TEST_DATABASE_URL: described(
    Type.Optional(Env.url()),
    '`npm test`: superuser URL of an existing PostgreSQL to create test databases in; unset, an embedded one.',
  ),
  TEST_REDIS_URL: described(Type.Optional(Env.url()), '`npm test`: a Redis for the tests; unset, a private one.'),
  TEST_LOAD: Type.Integer({
    minimum: 0,
    maximum: 64,
    default: 0,
    description: '`npm test`: keep this many cores busy with a busy loop for the whole run (`0`: none), to prove the tests under load.',
  }),
});

export function loadStackEnv(env: NodeJS.ProcessEnv = process.env) {
  const parsed = parseEnv(StackEnvSchema, env);
  return { ...parsed, DATA_DIR: path.resolve(parsed.DATA_DIR) };
}
export type StackEnv = ReturnType<typeof loadStackEnv>;
