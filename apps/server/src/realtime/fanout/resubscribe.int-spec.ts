import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startRedis, type RedisHandle } from '@taskflow/devstack';
import { transition } from '@taskflow/store';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { eventually, freePort, login, openSocket, TaskMirror, type TestSocket } from '@taskflow/testing';
import { startTestApp, type TestApp } from '../../testing/test-app';

/**
 * A node whose Redis subscriber connection is cut (and comes back by itself)
 * missed what was published meanwhile: it tells its own clients to catch up,
 * and a client that follows the advice converges to the committed state.
 * A Redis of the test's own: its subscriber connections are killed.
 */
jest.setTimeout(60_000);

let dataDir: string;
let redis: RedisHandle;
let admin: Redis;
let t: TestApp;
let url: string;
let client: TestSocket;

// Starts a Redis of its own and the app (27 s at load 22): a budget with room above that.
beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'resubscribe-'));
  redis = await startRedis({ dataDir, port: await freePort(), logFile: path.join(dataDir, 'redis.log'), fast: true });
  admin = new Redis(redis.url);
  t = await startTestApp({ REDIS_URL: redis.url });
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  client = await openSocket(url, { token: await login(url, 'alice', FIXTURE_PASSWORD) });
}, 120_000);

afterAll(async () => {
  client?.close();
  await t?.close();
  admin?.disconnect();
  await redis?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const subscriberCount = async () => Number(((await admin.call('PUBSUB', 'NUMPAT')) as number) ?? 0);

it('tells its clients to resync when its Redis subscription is restored, and they converge', async () => {
  const { task } = await t.f.newTask(t.f.users.alice);
  const mirror = new TaskMirror(client, task.id);
  expect((await mirror.join()).ok).toBe(true);
  await eventually('snapshot', async () => (mirror.last === 1 ? true : undefined));
  expect(await subscriberCount()).toBe(1);

  // The subscriber connection drops; what is committed and broadcast meanwhile never reaches this node.
  await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
  await transition(t.f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });

  const sync = await client.waitFor((e) => e.event === 'sync:required', 'sync:required');
  expect(sync.payload).toEqual({ reason: 'subscription_interrupted' });
  await eventually('the client to catch up to seq 2', async () => (mirror.last === 2 ? true : undefined));
  expect(mirror.applied).toEqual([1, 2]);
  expect(mirror.status).toBe('analyzing');
  expect(mirror.syncsRequired).toBe(1);
  // Re-subscribed before the clients were told: a broadcast from now on arrives live.
  expect(await subscriberCount()).toBe(1);
  expect(client.of('sync:required')).toHaveLength(1);
});

it('says nothing while the subscription is intact', async () => {
  const before = client.of('sync:required').length;
  await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
  // Nothing arrives: a time in which a (wrong) resync request would have.
  await new Promise((r) => setTimeout(r, 1000));
  expect(client.of('sync:required')).toHaveLength(before);
});
