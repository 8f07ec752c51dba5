import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { buildApp } from '../app';
import { loadServerConfig } from '../config';
import { startTestApp, TEST_JWT_SECRET, TEST_WEBHOOK_SECRET, type TestApp } from '../testing/test-app';
import { testEnv } from '@taskflow/testing';

/** Login, write and stats limits as an outsider meets them: through the balancer, across nodes, with forged headers. */
jest.setTimeout(60_000);

const LIMITS = {
  LOGIN_MAX_FAILURES: '5',
  LOGIN_MAX_FAILURES_PER_ADDRESS: '12',
  LOGIN_MAX_FAILURES_PER_USER: '6',
  TASK_CREATE_PER_MINUTE: '3',
  TASK_WRITE_PER_MINUTE: '4',
  STATS_PER_MINUTE: '5',
  TRUSTED_PROXIES: '127.0.0.1',
};
let t: TestApp;
let second: FastifyInstance;

beforeAll(async () => {
  t = await startTestApp(LIMITS);
  // A second node of the same cluster: same database, Redis and prefix.
  const config = loadServerConfig({
    ...baseEnv(),
    QUEUE_PREFIX: t.prefix,
    NODE_ID: 'test-node-2',
    FEATURE_WEBSOCKET_ENABLED: 'false',
    ...LIMITS,
  });
  second = await buildApp({ config, db: t.f.db, logger: pino({ level: 'silent' }), queue: t.queue });
  // What the node takes for the client's address.
  // A probe of this test, not part of the API (hidden from /api/docs, which requires every other route documented).
  t.app.get('/test/client-address', { schema: { hide: true } }, async (request) => ({ ip: request.ip }));
});
afterAll(async () => {
  await second.close();
  await t.close();
});

const BALANCER = '127.0.0.1';
const baseEnv = () => ({
  DATABASE_URL: t.f.url,
  REDIS_URL: testEnv('TEST_REDIS_URL'),
  JWT_SECRET: TEST_JWT_SECRET,
  GITHUB_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
});
const OUTSIDER = '203.0.113.9';

/** A login as it reaches a node: from `remote` (the balancer or someone else), maybe with X-Forwarded-For. */
function loginAs(username: string, password: string, remote: string, forwardedFor?: string, app: FastifyInstance = t.app) {
  return app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username, password },
    remoteAddress: remote,
    headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  });
}

describe('client address', () => {
  const seen = async (remoteAddress: string, forwardedFor?: string) =>
    (
      await t.app.inject({
        method: 'GET',
        url: '/test/client-address',
        remoteAddress,
        headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
      })
    ).json().ip;

  it('is the X-Forwarded-For entry the balancer appended, and only when the balancer sent it', async () => {
    expect(await seen(BALANCER, '192.0.2.10')).toBe('192.0.2.10');
    // The client wrote the left part; the balancer appended what it saw, even a client on a trusted address.
    expect(await seen(BALANCER, '198.51.100.1, 192.0.2.10')).toBe('192.0.2.10');
    expect(await seen(BALANCER, '198.51.100.1, 127.0.0.5')).toBe('127.0.0.5');
    // A second trusted hop (here the balancer itself) is skipped: the first untrusted entry from the right is the client.
    expect(await seen(BALANCER, '198.51.100.1, 192.0.2.12, 127.0.0.1')).toBe('192.0.2.12');
    expect(await seen(`::ffff:${BALANCER}`, '192.0.2.11')).toBe('192.0.2.11');
    // Anyone else: the header is ignored.
    expect(await seen(OUTSIDER, '192.0.2.10')).toBe(OUTSIDER);
    expect(await seen('127.0.0.2', '192.0.2.10')).toBe('127.0.0.2');
  });

  it('rejects a bad TRUSTED_PROXIES entry at start, naming it', () => {
    expect(() => loadServerConfig({ ...baseEnv(), TRUSTED_PROXIES: '127.0.0.1,haproxy' })).toThrow(
      /TRUSTED_PROXIES: "haproxy" is not an address/,
    );
    expect(loadServerConfig({ ...baseEnv(), TRUSTED_PROXIES: 'none' }).trustedProxies).toBe(false);
    expect(loadServerConfig({ ...baseEnv(), TRUSTED_PROXIES: 'loopback, 10.0.0.0/8, fd00::1' }).trustedProxies).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::1',
    ]);
  });
});

describe('login limiter', () => {
  it('ignores X-Forwarded-For from anyone but the balancer: rotating it buys nothing', async () => {
    for (let i = 0; i < 5; i++) expect((await loginAs('alice', 'wrong', OUTSIDER, `198.51.100.${i}`)).statusCode).toBe(401);
    const blocked = await loginAs('alice', FIXTURE_PASSWORD, OUTSIDER, '198.51.100.99');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toEqual({
      error: 'RATE_LIMITED',
      message: expect.stringMatching(/^Too many failed logins; try again in \d+ s$/),
    });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Only alice, from that address: bob there, and alice elsewhere (a real client behind the balancer), still log in.
    expect((await loginAs('bob', FIXTURE_PASSWORD, OUTSIDER)).statusCode).toBe(200);
    expect((await loginAs('alice', FIXTURE_PASSWORD, BALANCER, '198.51.100.7')).statusCode).toBe(200);
  });

  it('keys on the real client behind the balancer, shared across nodes, and a success clears the count', async () => {
    const client = '192.0.2.10';
    // Failures split over two nodes add up.
    for (let i = 0; i < 4; i++) expect((await loginAs('carol', 'wrong', BALANCER, client, i % 2 ? second : t.app)).statusCode).toBe(401);
    expect((await loginAs('carol', FIXTURE_PASSWORD, BALANCER, client, second)).statusCode).toBe(200); // clears
    for (let i = 0; i < 5; i++) expect((await loginAs('carol', 'wrong', BALANCER, client, i % 2 ? second : t.app)).statusCode).toBe(401);
    expect((await loginAs('carol', FIXTURE_PASSWORD, BALANCER, client, second)).statusCode).toBe(429);
    expect((await loginAs('carol', FIXTURE_PASSWORD, BALANCER, client, t.app)).statusCode).toBe(429);
    // Another client of the same balancer is not affected.
    expect((await loginAs('carol', FIXTURE_PASSWORD, BALANCER, '192.0.2.11')).statusCode).toBe(200);
  });

  it("bounds one address spraying many usernames by each username's own budget, and lets a right password in", async () => {
    const sprayer = '192.0.2.66';
    for (let i = 0; i < 12; i++) expect((await loginAs(`user${i}`, 'guess', BALANCER, sprayer)).statusCode).toBe(401);
    // The address's budget is spent, but bob may share it (NAT): his right password is checked.
    expect((await loginAs('bob', FIXTURE_PASSWORD, BALANCER, sprayer)).statusCode).toBe(200);
    // user0 has spent its own budget (LOGIN_MAX_FAILURES_PER_USER) from other addresses: refused from the full one.
    for (let i = 1; i < 6; i++) expect((await loginAs('user0', 'guess', BALANCER, `192.0.2.${70 + i}`)).statusCode).toBe(401);
    expect((await loginAs('user0', 'guess', BALANCER, sprayer)).statusCode).toBe(429);
  });
});

describe('per-user limits', () => {
  const auth = (user: 'alice' | 'bob') => ({ authorization: `Bearer ${t.app.signSession({ ...t.f.users[user] })}` });
  const create = (user: 'alice' | 'bob', app = t.app) =>
    app.inject({
      method: 'POST',
      url: '/api/tasks',
      headers: auth(user),
      payload: { title: 'Task', description: 'Add an index on invoices.customer_id.' },
    });

  it('limits task creation per user, across nodes, without touching other users', async () => {
    const codes = [(await create('alice')).statusCode, (await create('alice', second)).statusCode, (await create('alice')).statusCode];
    expect(codes).toEqual([202, 202, 202]);
    const refused = await create('alice', second);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: 'RATE_LIMITED', message: expect.stringMatching(/^Too many tasks created/) });
    const { count } = await t.f.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('creatorId', '=', t.f.users.alice.id)
      .executeTakeFirstOrThrow();
    expect(Number(count)).toBe(3);
    expect((await create('bob')).statusCode).toBe(202);
  });

  it('limits clarify / retry / cancel per user', async () => {
    const { task } = await t.f.newTask(t.f.users.bob);
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push((await t.app.inject({ method: 'POST', url: `/api/tasks/${task.id}/retry`, headers: auth('bob') })).statusCode);
    expect(codes).toEqual([409, 409, 409, 409, 429]);
  });

  it('limits GET /api/stats per user', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await t.app.inject({ method: 'GET', url: '/api/stats', headers: auth('bob') })).statusCode);
    expect(codes).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await t.app.inject({ method: 'GET', url: '/api/stats', headers: auth('alice') })).statusCode).toBe(200);
  });
});
