import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort as devFreePort, startRedis, type RedisHandle } from '@taskflow/devstack';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { apiClient, eventually, login, openSocket, type TestSocket } from '@taskflow/testing';
import { startTestApp, type TestApp } from '../testing/test-app';

/**
 * Redis is shared by every node, so losing it must degrade the product, not
 * switch it off: this node stays ready (HAProxy keeps routing to it), reads,
 * logins, the web app and open sockets keep working, and only the writes that
 * need the queue are refused with a clear 503 — until Redis is back.
 * A Redis of its own: the shared one must never be stopped.
 */
jest.setTimeout(90_000);

let redis: RedisHandle;
let redisPort: number;
let dir: string;
let t: TestApp;
let url: string;
const open: TestSocket[] = [];

/** Restarted with the same password: the node's REDIS_URL carries it. */
const REDIS_PASSWORD = 'redis-outage-redis';
const startOwnRedis = () =>
  startRedis({
    dataDir: path.join(dir, 'redis'),
    port: redisPort,
    password: REDIS_PASSWORD,
    logFile: path.join(dir, 'redis.log'),
    fast: true,
  });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-outage-'));
  fs.mkdirSync(path.join(dir, 'web'));
  fs.writeFileSync(path.join(dir, 'web', 'index.html'), '<!doctype html><div id="root"></div>');
  redisPort = await devFreePort();
  redis = await startOwnRedis();
  t = await startTestApp({ REDIS_URL: redis.url, WEB_DIST_DIR: path.join(dir, 'web') });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const s of open) s.close();
  await t?.close();
  await redis?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('keeps reads, logins, the web app and sockets going while Redis is down; refuses queue writes with 503; recovers', async () => {
  const token = await login(url, 'alice', FIXTURE_PASSWORD);
  const alice = apiClient(url, token);
  const created = await alice.post('/api/tasks', { title: 'Before the outage', description: 'Add an index on invoices.customer_id.' });
  expect(created.status).toBe(202);
  const taskId = created.body.task.id as string;
  const watcher = await openSocket(url, { token });
  open.push(watcher);
  expect((await watcher.request('dashboard:join')).ok).toBe(true);
  const disconnects: string[] = [];
  watcher.socket.on('disconnect', (reason) => disconnects.push(reason));

  await redis.stop();
  await eventually('the queue to notice', async () => (t.queue.ready ? undefined : true));

  // This node still takes traffic; health says what is missing.
  const ready = await fetch(`${url}/api/ready`);
  expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { ready: true, problems: [] } });
  const health = await fetch(`${url}/api/health`);
  const body = (await health.json()) as { status: string; checks: object; reasons: string[] };
  expect(health.status).toBe(200);
  expect(body.status).toBe('degraded');
  expect(body.checks).toMatchObject({ database: 'up', redis: 'down' });
  expect(body.reasons.join(' ')).toMatch(/redis unreachable/);

  // Reads, the web app and logins (the limiter falls back to this node's memory) answer promptly.
  const started = Date.now();
  expect((await alice.get('/api/tasks')).status).toBe(200);
  expect((await alice.get(`/api/tasks/${taskId}`)).status).toBe(200);
  expect((await alice.get('/api/stats')).status).toBe(200);
  expect((await fetch(`${url}/`)).status).toBe(200);
  const bobToken = await login(url, 'bob', FIXTURE_PASSWORD);
  expect((await apiClient(url).post('/api/auth/login', { username: 'bob', password: 'wrong password' })).status).toBe(401);
  // Generous for a busy machine (1-2 s idle, 9 s seen at load 20): what it rules out is a request queued behind
  // the dead Redis until the client's own timeout.
  expect(Date.now() - started).toBeLessThan(20_000);

  // Writes that need the queue: a clear 503, and nothing committed.
  const before = (await alice.get('/api/tasks')).body.tasks.length;
  const refused = await alice.post('/api/tasks', { title: 'During the outage', description: 'Export invoices as CSV.' });
  expect(refused).toEqual({ status: 503, body: { error: 'UNAVAILABLE', message: 'The task queue is unavailable; try again in a moment' } });
  expect((await alice.get('/api/tasks')).body.tasks.length).toBe(before);
  // A write that needs no queue still works.
  expect((await alice.post(`/api/tasks/${taskId}/cancel`)).status).toBe(202);

  // Open sockets stay, and new ones can connect (the handshake needs no Redis).
  const late = await openSocket(url, { token: bobToken });
  open.push(late);
  expect((await late.request('dashboard:join')).ok).toBe(true);
  // Joining a task works too (presence, kept in Redis, catches up later).
  expect(await late.request('task:join', { taskId })).toEqual({ ok: true, data: { seq: expect.any(Number) } });
  expect(watcher.socket.connected).toBe(true);

  redis = await startOwnRedis();
  await eventually('the queue to reconnect', async () => (t.queue.ready ? true : undefined), 30_000);
  const after = await alice.post('/api/tasks', { title: 'After the outage', description: 'Add pagination to the invoices list.' });
  expect(after.status).toBe(202);
  // Each Redis client (queue, adapter, limiters) reconnects on its own backoff: health is whole again once the last did.
  await eventually(
    'health to be ok again',
    async () => (((await (await fetch(`${url}/api/health`)).json()) as { status: string }).status === 'ok' ? true : undefined),
    30_000,
  );
  expect(disconnects).toEqual([]);
  expect(watcher.socket.connected && late.socket.connected).toBe(true);
});
