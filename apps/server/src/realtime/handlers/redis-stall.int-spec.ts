import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort as devFreePort, startRedis, type RedisHandle } from '@taskflow/devstack';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { login, openSocket, type TestSocket } from '@taskflow/testing';
import { startTestApp, type TestApp } from '../../testing/test-app';

/**
 * A stalled Redis (SIGSTOP: connections stay open, nothing answers) must not hold
 * up socket requests: the socket rate limiter falls back to this node's memory
 * after its command timeout, and presence (best effort) goes on without Redis.
 * A Redis of the test's own: the shared one must never be stalled.
 */
jest.setTimeout(60_000);

let dir: string;
let redis: RedisHandle;
let t: TestApp;
let url: string;
let client: TestSocket | undefined;
let stalled = false;

const stall = (on: boolean) => {
  process.kill(redis.pid, on ? 'SIGSTOP' : 'SIGCONT');
  stalled = on;
};

// Starts a Redis of its own and the app (27 s at load 22 in resubscribe's): a budget with room above that.
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-redis-stall-'));
  redis = await startRedis({
    dataDir: path.join(dir, 'redis'),
    port: await devFreePort(),
    logFile: path.join(dir, 'redis.log'),
    fast: true,
  });
  t = await startTestApp({ REDIS_URL: redis.url });
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
}, 120_000);
afterAll(async () => {
  if (stalled) stall(false);
  client?.close();
  await t?.close();
  await redis?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Each answer comes once the limiter's Redis command (500 ms timeout) gave up, at most: 1.6 s seen under load. That
 * is far inside the 10 s a request waits here, which the stall (until the test ends it) would otherwise take.
 */
const BOUND_MS = 4000;

/** The answer and how long it took. */
async function timed<T>(work: () => Promise<T>): Promise<{ answer: T; ms: number }> {
  const started = Date.now();
  const answer = await work();
  return { answer, ms: Date.now() - started };
}

it('answers task:join, resync_requested and task:leave within seconds, not the stall, while Redis is stalled', async () => {
  client = await openSocket(url, { token: await login(url, 'alice', FIXTURE_PASSWORD) });
  const { task } = await t.f.newTask(t.f.users.alice);
  const other = (await t.f.newTask(t.f.users.alice)).task;
  expect((await client.request('task:join', { taskId: task.id })).ok).toBe(true);

  stall(true);
  try {
    const join = await timed(() => client!.request('task:join', { taskId: other.id }, 10_000));
    expect(join.answer).toEqual({ ok: true, data: { seq: 1 } });
    expect(join.ms).toBeLessThan(BOUND_MS);
    const resync = await timed(() => client!.request('resync_requested', { taskIds: [task.id], since: { [task.id]: 0 } }, 10_000));
    expect(resync.answer).toMatchObject({ ok: true, data: { results: [{ taskId: task.id, kind: 'events' }] } });
    expect(resync.ms).toBeLessThan(BOUND_MS);
    const leave = await timed(() => client!.request('task:leave', { taskId: task.id }, 10_000));
    expect(leave.answer).toEqual({ ok: true });
    expect(leave.ms).toBeLessThan(BOUND_MS);
    // Still limited meanwhile: the in-memory stand-in counts this socket's messages.
    const burst = await Promise.all(Array.from({ length: 40 }, () => client!.request('dashboard:leave', {}, 10_000)));
    expect(burst.filter((a) => (a as { error?: { code: string } }).error?.code === 'RATE_LIMITED').length).toBeGreaterThan(0);
  } finally {
    stall(false);
  }
  // Back to normal once Redis answers again (and the burst's one-second window is over).
  await new Promise((r) => setTimeout(r, 1100));
  expect((await client.request('task:join', { taskId: task.id })).ok).toBe(true);
  expect(client.socket.connected).toBe(true);
});
