import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import { freePort as devFreePort, localRedisUrl, startRedis, type RedisHandle } from '@taskflow/devstack';
import { rooms, SOCKET_IO_REDIS_KEY, type ServerToClientEvents } from '@taskflow/events';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { eventually, login, openSocket, type TestSocket } from '@taskflow/testing';
import { closeRedisClient } from '@taskflow/queue';
import { startTestApp, type TestApp } from '../../testing/test-app';

/**
 * A node started while Redis is down: its adapter's subscriptions wait for Redis
 * instead of being given up, so once Redis is there the node receives broadcasts;
 * until then /api/health says the adapter is down. A Redis of the test's own.
 */
jest.setTimeout(90_000);

let dir: string;
let redisPort: number;
let redis: RedisHandle | undefined;
let t: TestApp;
let url: string;
let client: TestSocket | undefined;
let publisher: Redis | undefined;

/** The node is given the URL before Redis runs: the password is fixed in advance. */
const REDIS_PASSWORD = 'cold-start-redis';
const startOwnRedis = () =>
  startRedis({
    dataDir: path.join(dir, 'redis'),
    port: redisPort,
    password: REDIS_PASSWORD,
    logFile: path.join(dir, 'redis.log'),
    fast: true,
  });
const health = async () => (await (await fetch(`${url}/api/health`)).json()) as { status: string; checks: { socketAdapter: string } };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-cold-start-'));
  redisPort = await devFreePort();
  // Started once and stopped: the port is Redis's, and nothing listens on it when the node starts.
  await (await startOwnRedis()).stop();
  t = await startTestApp({ REDIS_URL: localRedisUrl(redisPort, REDIS_PASSWORD) });
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  client?.close();
  if (publisher) await closeRedisClient(publisher);
  await t?.close();
  await redis?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('subscribes once Redis comes up, and health says degraded until then', async () => {
  const token = await login(url, 'alice', FIXTURE_PASSWORD);
  client = await openSocket(url, { token });
  // Longer than the adapter's first subscribe could have been retried before giving up.
  await new Promise((r) => setTimeout(r, 2000));
  const down = await health();
  expect(down.status).toBe('degraded');
  expect(down.checks.socketAdapter).toBe('down');

  redis = await startOwnRedis();
  publisher = new Redis(redis.url);
  const emitter = new Emitter<ServerToClientEvents>(publisher, { key: SOCKET_IO_REDIS_KEY });
  // Published again and again: a node that never subscribed receives none of them.
  let sent = 0;
  const received = await eventually(
    'a broadcast published after Redis returned',
    async () => {
      emitter.to(rooms.user(t.f.users.alice.id)).emit('notification:read', { ids: [], all: true, unreadCount: sent++ });
      await new Promise((r) => setTimeout(r, 200));
      return client!.of('notification:read')[0];
    },
    15_000,
  );
  expect(received.payload).toMatchObject({ all: true });
  expect((await health()).checks.socketAdapter).toBe('up');
});
