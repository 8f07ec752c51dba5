import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { apiClient, createTaskPickedUp, createTestDatabase, login, type TestDatabase } from '@taskflow/testing';
import { Cluster } from 'ioredis';
import { loadStackEnv } from './config';
import { freePort, isAlive, waitFor } from './net';
import { readStackState } from './stack-state';
import { startStack, type RunningStack } from './stack';

/**
 * `REDIS_MODE=cluster npm start`: the local stack (one node, one worker) on its private Redis Cluster — the node is
 * healthy with its sharded adapter subscribed, and a task goes through the queue (hash-tagged on the cluster) to the worker.
 */
jest.setTimeout(180_000);

let database: TestDatabase;
let root: string;
let stack: RunningStack;
let terminal = '';

beforeAll(async () => {
  database = await createTestDatabase('stack_redis_cluster');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-stack-cluster-'));
  const env = loadStackEnv({
    PORT: String(await freePort()),
    DATA_DIR: path.join(root, '.data'),
    DATABASE_URL: database.url,
    REDIS_MODE: 'cluster',
    SEED_DEMO: 'true',
    DEMO_PASSWORD: 'cluster-test',
    LOG_LEVEL: 'info',
  });
  const out = new PassThrough();
  out.on('data', (d) => (terminal += d));
  stack = await startStack(env, () => undefined, undefined, undefined, { terminal: { stdout: out, stderr: out } });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await database?.drop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

it('runs the apps on the Redis Cluster: healthy, and a task reaches the worker through the queue', async () => {
  const nodes = stack.services.redisClusterNodes!.split(',');
  expect(nodes).toHaveLength(6);
  expect(stack.services.embeddedRedis).toBeUndefined();
  // stack.json names every node's redis-server, among the pids a cleanup stops.
  const state = readStackState(path.join(root, '.data'))!;
  expect(state.redisCluster?.map((n) => `127.0.0.1:${n.port}`).sort()).toEqual([...nodes].sort());
  for (const n of state.redisCluster!) {
    expect(isAlive(n.pid)).toBe(true);
    expect(state.pids).toContain(n.pid);
  }
  await waitFor(
    'the node to be healthy with Redis and the socket adapter up',
    async () => {
      const res = await fetch(`${stack.url}/api/health`);
      const body = (await res.json()) as { status: string; checks: Record<string, string> };
      return (res.status === 200 && body.checks.redis === 'up' && body.checks.socketAdapter === 'up') || undefined;
    },
    60_000,
  );
  const api = apiClient(stack.url, await login(stack.url, 'alice', 'cluster-test'));
  await createTaskPickedUp(api, 'On the Redis Cluster');
  // The queue's keys are on the cluster, under one hash tag.
  const password = decodeURIComponent(new URL(stack.services.redisUrl).password);
  const client = new Cluster(
    nodes.map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) })),
    { redisOptions: { password } },
  );
  try {
    await client.ping();
    const masters = client.nodes('master');
    expect(masters).toHaveLength(3);
    // A test stack on its own cluster: KEYS on each master is fine here.
    const keys = (await Promise.all(masters.map((m) => m.keys('*')))).flat();
    expect(keys.some((k) => k.startsWith('{taskflow}:'))).toBe(true);
  } finally {
    client.disconnect();
  }
});
