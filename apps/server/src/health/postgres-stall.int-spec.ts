import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { freePort as devFreePort } from '@taskflow/devstack';
import { PipelineQueue } from '@taskflow/queue';
import { createDb, type Db } from '@taskflow/store';
import { spawnApp, testEnv, type AppProcess } from '@taskflow/testing';
import { buildApp } from '../app';
import { loadServerConfig } from '../config';
import { TEST_JWT_SECRET, TEST_WEBHOOK_SECRET } from '../testing/test-app';

/**
 * PostgreSQL stalled (SIGSTOP of all its processes: connections stay open, nothing
 * answers): /api/ready and /api/health answer 503 promptly instead of hanging until
 * the balancer gives up, and recover once it runs again. A PostgreSQL of the test's own.
 */
jest.setTimeout(120_000);

const logger = pino({ level: 'silent' });
let dir: string;
let pgProcess: AppProcess;
let pg: { pid: number; url: string };
let db: Db;
let queue: PipelineQueue;
let app: FastifyInstance;
let stalledPids: number[] = [];

const processesOf = (pid: number) => [
  pid,
  ...execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .split('\n')
    .map(Number)
    .filter((n) => n > 0),
];
const stall = () => {
  stalledPids = processesOf(pg.pid);
  for (const pid of stalledPids) process.kill(pid, 'SIGSTOP');
};
const resume = () => {
  for (const pid of stalledPids) process.kill(pid, 'SIGCONT');
  stalledPids = [];
};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-pg-stall-'));
  pgProcess = spawnApp('apps/server/src/testing/own-postgres.ts', {
    HOME: process.env.HOME,
    OWN_PG_DIR: path.join(dir, 'postgres'),
    OWN_PG_PORT: String(await devFreePort()),
    OWN_PG_LOG: path.join(dir, 'postgres.log'),
  });
  await pgProcess.waitForOutput(/OWN_POSTGRES \{.*\}\n/, 90_000);
  pg = JSON.parse(/OWN_POSTGRES (\{.*\})/.exec(pgProcess.output())![1]!) as { pid: number; url: string };
  db = createDb(pg.url, { max: 4, connectTimeoutMs: 1000 });
  const config = loadServerConfig({
    DATABASE_URL: pg.url,
    REDIS_URL: testEnv('TEST_REDIS_URL'),
    JWT_SECRET: TEST_JWT_SECRET,
    GITHUB_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    FEATURE_WEBSOCKET_ENABLED: 'false',
  });
  queue = PipelineQueue.connect(config.REDIS_URL, `t${process.pid}`, logger);
  app = await buildApp({ config, db, logger, queue });
});
afterAll(async () => {
  if (stalledPids.length) resume();
  await app?.close();
  await queue?.close();
  await db?.destroy();
  await pgProcess?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function timed(url: string) {
  const started = Date.now();
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json(), ms: Date.now() - started };
}

it('answers /api/ready and /api/health 503 within 2 s while PostgreSQL is stalled, and 200 again after', async () => {
  expect((await timed('/api/ready')).status).toBe(200);
  stall();
  try {
    const ready = await timed('/api/ready');
    expect(ready).toMatchObject({ status: 503, body: { ready: false, problems: ['database unreachable'] } });
    expect(ready.ms).toBeLessThan(2000);
    const health = await timed('/api/health');
    expect(health).toMatchObject({ status: 503, body: { checks: { database: 'down' } } });
    expect(health.ms).toBeLessThan(2000);
    // Repeated checks (the balancer's) stay prompt while the stuck probes hold the pool's connections.
    for (let i = 0; i < 6; i++) expect((await timed('/api/ready')).ms).toBeLessThan(2000);
  } finally {
    resume();
  }
  const deadline = Date.now() + 15_000;
  let after = await timed('/api/ready');
  while (after.status !== 200 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    after = await timed('/api/ready');
  }
  expect(after.status).toBe(200);
});
