import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { CONNECT_ERRORS, type ConnectErrorData } from '@taskflow/events';
import { eventually, openSocket, testEnv, type TestSocket } from '@taskflow/testing';
import { buildApp } from '../../app';
import { loadServerConfig } from '../../config';
import { startTestApp, TEST_JWT_SECRET, TEST_WEBHOOK_SECRET, type TestApp } from '../../testing/test-app';

/** Per-user socket bounds on two nodes of one cluster: open sockets are capped across nodes, new ones rate-limited. */
jest.setTimeout(60_000);

const LIMITS = { WEBSOCKET_MAX_SOCKETS_PER_USER: '3', WEBSOCKET_CONNECTS_PER_MINUTE: '6', PRESENCE_TTL_MS: '1000' };
let t: TestApp;
let second: FastifyInstance;
let urls: [string, string];
let redis: Redis;
const open: TestSocket[] = [];

const listen = async (app: FastifyInstance) => {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
};

beforeAll(async () => {
  t = await startTestApp(LIMITS);
  const config = loadServerConfig({
    DATABASE_URL: t.f.url,
    REDIS_URL: testEnv('TEST_REDIS_URL'),
    JWT_SECRET: TEST_JWT_SECRET,
    GITHUB_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    QUEUE_PREFIX: t.prefix,
    NODE_ID: 'test-node-2',
    ...LIMITS,
  });
  second = await buildApp({ config, db: t.f.db, logger: pino({ level: 'silent' }), queue: t.queue });
  urls = [await listen(t.app), await listen(second)];
  redis = new Redis(testEnv('TEST_REDIS_URL'));
});
afterAll(async () => {
  for (const s of open) s.close();
  redis.disconnect();
  await second.close();
  await t.close();
});

type Who = 'alice' | 'bob' | 'carol';
async function connect(user: Who, node: 0 | 1 = 0): Promise<TestSocket> {
  const s = await openSocket(urls[node], { token: t.app.signSession({ ...t.f.users[user] }) });
  open.push(s);
  return s;
}
/** The refusal a handshake got: its message and `data`. */
async function refusal(user: Who, node: 0 | 1 = 0): Promise<{ message: string; data: ConnectErrorData }> {
  const err = await connect(user, node).then(
    () => undefined,
    (e: Error & { data: ConnectErrorData }) => e,
  );
  if (!err) throw new Error(`${user} was let in`);
  return { message: err.message, data: err.data };
}

it('caps a user’s open sockets across nodes with TOO_MANY_SOCKETS, frees a place on disconnect, then limits the rate', async () => {
  const mine = [await connect('bob', 0), await connect('bob', 1), await connect('bob', 0)];
  expect(await refusal('bob', 1)).toEqual({ message: CONNECT_ERRORS.TOO_MANY_SOCKETS, data: { code: 'TOO_MANY_SOCKETS' } });
  // Other users are not affected.
  await connect('alice', 1);
  // Longer than the entries' lifetime (1 s): the nodes keep their live sockets' entries fresh, so the cap still holds.
  await new Promise((r) => setTimeout(r, 1500));
  expect((await refusal('bob', 0)).data.code).toBe('TOO_MANY_SOCKETS');
  // A socket that goes frees its place at once.
  const key = `${t.prefix}:sockets:${t.f.users.bob.id}`;
  mine[0]!.close();
  await eventually('the closed socket’s entry to go', async () => ((await redis.zcard(key)) === 2 ? true : undefined), 5000);
  expect((await connect('bob', 1)).socket.connected).toBe(true);
  // That was bob's 6th handshake of the minute (refused ones count): the 7th is refused for the rate, with a wait.
  for (const s of mine) s.close();
  const rate = await refusal('bob', 0);
  expect(rate.message).toBe(CONNECT_ERRORS.SOCKET_RATE_LIMITED);
  expect(rate.data).toEqual({ code: 'SOCKET_RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
  expect(rate.data.retryAfterSeconds).toBeGreaterThan(0);
});

it('lets the sockets of a node that died stop counting once their entries expire', async () => {
  const key = `${t.prefix}:sockets:${t.f.users.carol.id}`;
  // What a node that died a moment ago left behind: carol's three sockets, last refreshed now.
  const expiry = Date.now() + 1000;
  await redis.zadd(key, expiry, 'dead-node|a', expiry, 'dead-node|b', expiry, 'dead-node|c');
  expect((await refusal('carol')).data.code).toBe('TOO_MANY_SOCKETS');
  await eventually('the dead node’s entries to expire', async () => (Date.now() > expiry + 50 ? true : undefined), 5000);
  expect((await connect('carol', 1)).socket.connected).toBe(true);
  expect(await redis.zrange(key, 0, -1)).toEqual([expect.stringMatching(/^test-node-2\|/)]);
});
