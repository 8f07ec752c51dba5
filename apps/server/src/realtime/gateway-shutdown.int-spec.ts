import { Redis } from 'ioredis';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { eventually, login, openSocket, testEnv } from '@taskflow/testing';
import { startTestApp, type TestApp } from '../testing/test-app';

/**
 * The order the gateway's parts close in (registerGateway): presence stops before
 * Socket.IO closes the sockets, and the Redis clients close after Socket.IO (its
 * adapter unsubscribes on them while it closes).
 */
jest.setTimeout(30_000);

let t: TestApp | undefined;
let redis: Redis;
beforeAll(() => {
  redis = new Redis(testEnv('TEST_REDIS_URL'));
});
afterAll(async () => {
  await t?.close().catch(() => undefined);
  redis.disconnect();
});

it('keeps the Redis clients until the adapter has closed, and leaves presence entries to expire', async () => {
  t = await startTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const { task } = await t.f.newTask(t.f.users.alice);
  const alice = await openSocket(url, { token: await login(url, 'alice', FIXTURE_PASSWORD) });
  expect(await alice.request('task:join', { taskId: task.id })).toMatchObject({ ok: true });
  const [presenceKey] = await eventually('the presence entry', async () => {
    const keys = await redis.keys(`*presence:${task.id}`);
    return keys.length > 0 ? keys : undefined;
  });

  const { sub, pub } = t.app.realtimeRedis;
  const adapter = t.app.io.of('/').adapter;
  const closeAdapter = adapter.close.bind(adapter);
  // A command on the subscriber as the adapter unsubscribes: answered only while the client is still open.
  let subscriberAnswered: Promise<boolean> | undefined;
  adapter.close = () => {
    subscriberAnswered = sub.ping().then(
      () => true,
      () => false,
    );
    return closeAdapter();
  };
  const disconnected = new Promise<string>((resolve) => alice.socket.once('disconnect', resolve));

  await t.close();
  t = undefined;

  expect(await disconnected).toBe('transport close');
  // Still open when the adapter unsubscribed; closed once the app is.
  expect(await subscriberAnswered).toBe(true);
  expect([sub.status, pub.status]).toEqual(['end', 'end']);
  // Presence was closed before the sockets: their disconnect did not remove the entry (it expires by itself).
  expect(await redis.zcard(presenceKey!)).toBe(1);
  alice.close();
});
