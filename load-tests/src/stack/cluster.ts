import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readStackState, type StackState } from '@taskflow/devstack';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

export interface BenchCluster {
  url: string;
  dataDir: string;
  secrets: LocalSecrets;
  databaseUrl: string;
  /** The stack's one Redis; undefined on its private Redis Cluster (`REDIS_MODE=cluster`: no bare baseline, no Redis INFO totals). */
  redisUrl: string | undefined;
  state(): StackState;
  stop(): Promise<void>;
}

/** The stack's `<DATA_DIR>/secrets.json` (libs/devstack keeps the secrets it finds there). */
interface LocalSecrets {
  pgPassword: string;
  jwtSecret: string;
  githubWebhookSecret: string;
  /** The private redis-server's password: every client sends it. */
  redisPassword: string;
}

/** The private Redis of a stack, with its password (as libs/devstack's localRedisUrl spells it). */
const redisUrlOf = (port: number, secrets: LocalSecrets) => `redis://:${encodeURIComponent(secrets.redisPassword)}@127.0.0.1:${port}`;

function writeSecrets(dataDir: string): LocalSecrets {
  const secrets = {
    pgPassword: randomBytes(18).toString('base64url'),
    jwtSecret: randomBytes(48).toString('base64url'),
    githubWebhookSecret: randomBytes(24).toString('base64url'),
    redisPassword: randomBytes(18).toString('base64url'),
  };
  fs.writeFileSync(path.join(dataDir, 'secrets.json'), JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

const SYSTEM_CLUSTERS = '/var/lib/taskflow-live/clusters/';

/**
 * Starts the product as `npm run cluster` does (HAProxy → NODES nodes, WORKERS workers),
 * in a private temporary DATA_DIR on its own port, and waits until it says it is running.
 * The secrets are written first so the harness knows the webhook secret and database password.
 */
export async function startCluster(opts: {
  port: number;
  nodes: number;
  workers: number;
  log: (line: string) => void;
  startTimeoutMs?: number;
  /** More variables for the cluster's processes (the nodes read theirs from it). */
  env?: Record<string, string>;
}): Promise<BenchCluster> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-bench-'));
  const secrets = writeSecrets(dataDir);
  // The bench cluster owns its PostgreSQL and Redis, whatever the caller's environment points at.
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...inherited } = process.env;
  const proc = spawn(process.execPath, [path.join(REPO_ROOT, 'infra/local/bootstrap.mjs'), 'cluster'], {
    cwd: REPO_ROOT,
    env: {
      ...inherited,
      DATA_DIR: dataDir,
      PORT: String(opts.port),
      NODES: String(opts.nodes),
      WORKERS: String(opts.workers),
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'false',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const onData = (d: Buffer) => {
    output += d.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = () => stopCluster(proc, exited, dataDir);
  try {
    await waitForText(proc, () => output, /is running at (\S+)/, opts.startTimeoutMs ?? 180_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n--- cluster output ---\n${output.slice(-4000)}`);
  }
  const url = `http://127.0.0.1:${opts.port}`;
  const state = () => {
    const read = readStackState(dataDir);
    if (!read) throw new Error(`no stack.json in ${dataDir}`);
    return read;
  };
  const first = state();
  if (!first.postgres || !(first.redis || first.redisCluster)) {
    await stop();
    throw new Error('stack.json names no embedded PostgreSQL/Redis: the bench cluster must start its own');
  }
  opts.log(`cluster up at ${url} (data ${dataDir})`);
  return {
    url,
    dataDir,
    secrets,
    databaseUrl: `postgres://postgres:${encodeURIComponent(secrets.pgPassword)}@127.0.0.1:${first.postgres.port}/taskflow`,
    redisUrl: first.redis ? redisUrlOf(first.redis.port, secrets) : undefined,
    state,
    stop,
  };
}

async function waitForText(proc: ChildProcess, output: () => string, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(output())) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`the cluster exited before it was running (code ${proc.exitCode})`);
    if (Date.now() > deadline) throw new Error(`the cluster was not running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopCluster(proc: ChildProcess, exited: Promise<void>, dataDir: string): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) {
    proc.kill('SIGTERM');
    const killed = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 30_000))]);
    if (killed) {
      proc.kill('SIGKILL');
      await exited;
    }
  }
  // As root the database lives outside DATA_DIR (see libs/devstack postgres-location); remove both.
  const pgLink = path.join(dataDir, 'postgres');
  try {
    const real = fs.realpathSync(pgLink);
    if (real.startsWith(SYSTEM_CLUSTERS)) fs.rmSync(path.dirname(real), { recursive: true, force: true });
  } catch {
    // no embedded database was created
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
}

/** A stack someone else started (`npm run cluster`): found through its DATA_DIR; never stopped by the harness. */
export function attachCluster(url: string, dataDir: string): BenchCluster {
  const read = <T>(file: string): T => {
    try {
      return JSON.parse(fs.readFileSync(path.join(dataDir, file), 'utf8')) as T;
    } catch {
      throw new Error(`--url needs the stack's DATA_DIR: no readable ${path.join(dataDir, file)} (pass --data-dir)`);
    }
  };
  const secrets = read<LocalSecrets>('secrets.json');
  const state = () => read<StackState>('stack.json');
  const first = state();
  if (!first.postgres || !(first.redis || first.redisCluster))
    throw new Error('the stack uses an external PostgreSQL/Redis: the harness cannot seed it');
  return {
    url,
    dataDir,
    secrets,
    databaseUrl: `postgres://postgres:${encodeURIComponent(secrets.pgPassword)}@127.0.0.1:${first.postgres.port}/taskflow`,
    redisUrl: first.redis ? redisUrlOf(first.redis.port, secrets) : undefined,
    state,
    stop: async () => undefined,
  };
}
