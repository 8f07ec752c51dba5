import { randomBytes } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import { Redis } from 'ioredis';
import { QUEUES, TOKEN_AUDIENCE } from '@taskflow/events';
import { openSocket, testEnv, type TestSocket } from '@taskflow/testing';
import { JWT_ISSUER } from './auth/auth.plugin';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from './testing/test-app';

/**
 * REDIS_KEY_PREFIX set apart from QUEUE_PREFIX: presence, the socket and HTTP rate
 * limits and the operations view's node snapshots live under it, and nothing but
 * BullMQ's keys under the queue prefix.
 */
jest.setTimeout(30_000);

const keyPrefix = `k${randomBytes(4).toString('hex')}`;
let t: TestApp;
let redis: Redis;
let socket: TestSocket | undefined;

beforeAll(async () => {
  t = await startTestApp({ REDIS_KEY_PREFIX: keyPrefix, ADMIN_STATS_INTERVAL_MS: '100' });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  redis = new Redis(testEnv('TEST_REDIS_URL'));
});
afterAll(async () => {
  socket?.close();
  redis.disconnect();
  await t.close();
});

async function keysUnder(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found.sort();
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('keeps presence, rate-limit and node-snapshot keys under REDIS_KEY_PREFIX, and only queue keys under QUEUE_PREFIX', async () => {
  const alice = t.f.users.alice;
  const token = createSigner({ key: TEST_JWT_SECRET, algorithm: 'HS256', iss: JWT_ISSUER, aud: TOKEN_AUDIENCE, expiresIn: 3_600_000 })({
    sub: alice.id,
    org: alice.orgId,
    username: alice.username,
    name: alice.name,
    ver: 0,
  });
  // A failed login (HTTP rate limits), a task created through the API (its analysis job), a task:join (socket rate limits, presence).
  const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: 'wrong-password' } });
  expect(login.statusCode).toBe(401);
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/tasks',
    headers: { authorization: `Bearer ${token}` },
    payload: { title: 'Prefixes', description: 'Keys land under the right prefix.' },
  });
  expect(created.statusCode).toBe(202);
  const task = created.json<{ task: { id: string } }>().task;
  const { port } = t.app.server.address() as { port: number };
  socket = await openSocket(`http://127.0.0.1:${port}`, { token });
  expect(await socket.request('task:join', { taskId: task.id })).toMatchObject({ ok: true });

  const kinds = (keys: string[], prefix: string) => [...new Set(keys.map((k) => k.slice(prefix.length + 1).split(':')[0] ?? ''))].sort();
  const own = await eventually(
    () => keysUnder(keyPrefix),
    (keys) => keys.includes(`${keyPrefix}:admin:node:test-node`) && keys.includes(`${keyPrefix}:presence:${task.id}`),
    'the node snapshot and the presence key',
  );
  expect(kinds(own, keyPrefix)).toEqual([
    'admin',
    'presence',
    'rl-connect',
    'rl-http-login-address',
    'rl-http-login-user',
    'rl-http-login-username',
    'rl-http-task-create',
    'rl-socket',
    'rl-user',
    'sockets',
  ]);
  const queue = kinds(await keysUnder(t.prefix), t.prefix);
  expect(queue).toContain(QUEUES.analysis);
  expect(queue.filter((kind) => !Object.values<string>(QUEUES).includes(kind))).toEqual([]);
});
