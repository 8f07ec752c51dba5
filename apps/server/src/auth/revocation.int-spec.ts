import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { CSRF_HEADER, SESSION_COOKIE } from '@taskflow/events';
import { PipelineQueue } from '@taskflow/queue';
import { createUser } from '@taskflow/store';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { eventually, openSocket, type TestSocket } from '@taskflow/testing';
import { buildApp } from '../app';
import { loadServerConfig } from '../config';
import { startTestApp, TEST_JWT_SECRET, TEST_WEBHOOK_SECRET, type TestApp, listenOnLoopback } from '../testing/test-app';

/**
 * Ending sign-ins before they expire, on two server nodes sharing PostgreSQL and Redis: sign out everywhere
 * (every session and Bearer token, sockets on both nodes), a login rotating the browser's previous session, and
 * an admin disabling an account (its socket on the other node closes within 2 s).
 */
jest.setTimeout(90_000);

const ORIGIN = 'http://app.test';
let t: TestApp;
let a: FastifyInstance;
let b: FastifyInstance;
let bQueue: PipelineQueue;
let urlA: string;
let urlB: string;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  t = await startTestApp({ NODE_ID: 'node-a', WEBSOCKET_CORS_ORIGIN: ORIGIN });
  a = t.app;
  await createUser(t.f.db, { orgId: t.f.users.alice.orgId, username: 'ops', name: 'Ops', password: FIXTURE_PASSWORD, role: 'admin' });
  await createUser(t.f.db, { orgId: t.f.users.alice.orgId, username: 'dave', name: 'Dave', password: FIXTURE_PASSWORD });
  await createUser(t.f.db, { orgId: t.f.users.alice.orgId, username: 'erin', name: 'Erin', password: FIXTURE_PASSWORD });
  // A second node on the same database, Redis and prefix. Its token-version cache is kept a minute: a revocation
  // made on node a can reach it within the tests' deadlines only through the broadcast that drops the entry.
  const config = loadServerConfig({
    DATABASE_URL: t.f.url,
    REDIS_URL: process.env.TEST_REDIS_URL,
    JWT_SECRET: TEST_JWT_SECRET,
    GITHUB_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    QUEUE_PREFIX: t.prefix,
    NODE_ID: 'node-b',
    WEBSOCKET_CORS_ORIGIN: ORIGIN,
    TOKEN_VERSION_CACHE_MS: '60000',
  });
  const logger = pino({ level: 'silent' });
  bQueue = PipelineQueue.connect(config.REDIS_URL, t.prefix, logger);
  b = await buildApp({ config, db: t.f.db, logger, queue: bQueue });
  urlA = await listenOnLoopback(a);
  urlB = await listenOnLoopback(b);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await b?.close().catch(() => undefined);
  await bQueue?.close();
  await t.close();
});

async function bearer(app: FastifyInstance, username: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: FIXTURE_PASSWORD } });
  expect(res.statusCode).toBe(200);
  return res.json().token as string;
}

async function cookieSession(app: FastifyInstance, username: string, previousCookie?: string) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/session',
    payload: { username, password: FIXTURE_PASSWORD },
    headers: previousCookie ? { cookie: previousCookie } : {},
  });
  expect(res.statusCode).toBe(200);
  return { cookie: `${SESSION_COOKIE}=${res.cookies.find((c) => c.name === SESSION_COOKIE)!.value}`, csrf: res.json().csrfToken as string };
}

const get = (app: FastifyInstance, headers: Record<string, string>) => app.inject({ method: 'GET', url: '/api/tasks', headers });
const withToken = (token: string) => ({ authorization: `Bearer ${token}` });

async function socket(url: string, auth: { token: string } | { cookie: string }): Promise<TestSocket> {
  const s = await openSocket(url, 'token' in auth ? { token: auth.token } : { extraHeaders: { cookie: auth.cookie, origin: ORIGIN } });
  sockets.push(s);
  return s;
}

const closed = (s: TestSocket, what: string, ms = 5000) =>
  eventually(`${what} to be closed by the server`, async () => (s.socket.connected ? undefined : true), ms);

describe('sign out everywhere', () => {
  it('revokes every session and token of the user and closes their sockets on both nodes; others are untouched', async () => {
    const tabs = await cookieSession(a, 'dave');
    const laptop = await cookieSession(b, 'dave');
    const token = await bearer(a, 'dave');
    const bobToken = await bearer(a, 'bob');
    // Node b has read dave's token version (its cache would hold it for a minute).
    expect((await get(b, withToken(token))).statusCode).toBe(200);
    const cookieSocketA = await socket(urlA, { cookie: tabs.cookie });
    const bearerSocketB = await socket(urlB, { token });
    const bobSocket = await socket(urlB, { token: bobToken });

    // A cookie write still needs its CSRF token.
    expect((await a.inject({ method: 'POST', url: '/api/auth/sign-out-everywhere', headers: { cookie: tabs.cookie } })).statusCode).toBe(
      403,
    );
    const res = await a.inject({
      method: 'POST',
      url: '/api/auth/sign-out-everywhere',
      headers: { cookie: tabs.cookie, [CSRF_HEADER]: tabs.csrf },
    });
    expect([res.statusCode, res.json()]).toEqual([200, { sessionsEnded: 2 }]);
    expect(res.cookies.find((c) => c.name === SESSION_COOKIE)?.value).toBe('');

    for (const [s, what] of [
      [cookieSocketA, 'the cookie socket on node a'],
      [bearerSocketB, 'the Bearer socket on node b'],
    ] as const) {
      expect((await s.waitFor((e) => e.event === 'session:ended', `session:ended on ${what}`)).payload).toEqual({
        reason: 'signed-out-everywhere',
      });
      await closed(s, what);
    }
    // Both sessions (one made on each node) and the token, on both nodes: node b dropped its cached version when
    // node a told it to (its cache alone would have kept the token working for a minute).
    for (const app of [a, b]) {
      for (const { cookie } of [tabs, laptop]) expect((await get(app, { cookie })).statusCode).toBe(401);
    }
    expect((await get(a, withToken(token))).json().error).toBe('TOKEN_REVOKED');
    await eventually(
      'node b to refuse the revoked token',
      async () => ((await get(b, withToken(token))).statusCode === 401 ? true : undefined),
      2000,
    );
    expect((await get(b, withToken(token))).json()).toEqual({ error: 'TOKEN_REVOKED', message: 'This token was revoked; log in again' });
    await expect(openSocket(urlB, { token })).rejects.toThrow(/revoked/);

    // Someone else's sign-ins are untouched; and dave can log in again, his new token working on both nodes.
    expect(bobSocket.socket.connected).toBe(true);
    expect((await get(b, withToken(bobToken))).statusCode).toBe(200);
    const fresh = await bearer(a, 'dave');
    for (const app of [a, b]) expect((await get(app, withToken(fresh))).statusCode).toBe(200);
  });

  it('works with a Bearer token too, and answers 401 without any sign-in', async () => {
    const token = await bearer(b, 'erin');
    const { cookie } = await cookieSession(a, 'erin');
    const res = await b.inject({ method: 'POST', url: '/api/auth/sign-out-everywhere', headers: withToken(token) });
    expect([res.statusCode, res.json()]).toEqual([200, { sessionsEnded: 1 }]);
    expect((await get(a, { cookie })).statusCode).toBe(401);
    expect((await get(b, withToken(token))).json().error).toBe('TOKEN_REVOKED');
    expect((await a.inject({ method: 'POST', url: '/api/auth/sign-out-everywhere' })).statusCode).toBe(401);
  });
});

describe('a Bearer socket that missed the revocation', () => {
  it("still closes within TOKEN_VERSION_CACHE_MS when its node's cache is stale and the broadcast never came", async () => {
    await createUser(t.f.db, { orgId: t.f.users.alice.orgId, username: 'frank', name: 'Frank', password: FIXTURE_PASSWORD });
    const token = await bearer(a, 'frank');
    // Node a (TOKEN_VERSION_CACHE_MS: the default 5 s) has read frank's token version; then it is bumped behind its
    // back, as if the broadcast had landed before the socket joined frank's room, or missed the node: no forget, no end.
    expect((await get(a, withToken(token))).statusCode).toBe(200);
    const s = await socket(urlA, { token });
    const frank = await t.f.db.selectFrom('users').select('id').where('username', '=', 'frank').executeTakeFirstOrThrow();
    await t.f.db
      .updateTable('users')
      .set((eb) => ({ tokenVersion: eb('tokenVersion', '+', 1) }))
      .where('id', '=', frank.id)
      .execute();
    const startedAt = Date.now();
    const ended = await s.waitFor((e) => e.event === 'session:ended', 'session:ended on the stale Bearer socket', 5000 + 4000);
    expect(ended.payload).toEqual({ reason: 'signed-out-everywhere' });
    expect((await s.waitFor((e) => e.event === 'error', 'its error')).payload).toMatchObject({ code: 'TOKEN_REVOKED' });
    await closed(s, 'the stale Bearer socket');
    expect(Date.now() - startedAt).toBeLessThan(5000 + 4000);
  });
});

describe('logging in again', () => {
  it("rotates the browser's previous session: its cookie stops working and its socket is told and closed", async () => {
    const first = await cookieSession(a, 'bob');
    const s = await socket(urlB, { cookie: first.cookie });
    const second = await cookieSession(a, 'bob', first.cookie);
    expect(second.cookie).not.toBe(first.cookie);
    expect((await s.waitFor((e) => e.event === 'session:ended', 'session:ended')).payload).toEqual({ reason: 'replaced' });
    await closed(s, 'the old session’s socket');
    expect((await get(a, { cookie: first.cookie })).statusCode).toBe(401);
    expect((await get(b, { cookie: second.cookie })).statusCode).toBe(200);
  });
});

describe('disabling an account', () => {
  it('closes its socket on the other node within 2 s, revokes its sign-ins and refuses its logins until enabled', async () => {
    const opsToken = await bearer(a, 'ops');
    const aliceToken = await bearer(b, 'alice');
    const aliceCookie = (await cookieSession(b, 'alice')).cookie;
    const onB = await socket(urlB, { token: aliceToken });
    const cookieOnB = await socket(urlB, { cookie: aliceCookie });
    const disable = (disabled: boolean, userId = t.f.users.alice.id, token = opsToken) =>
      a.inject({ method: 'PUT', url: `/api/admin/users/${userId}/disabled`, headers: withToken(token), payload: { disabled } });

    const startedAt = Date.now();
    const res = await disable(true);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ userId: t.f.users.alice.id, disabledAt: expect.any(String) });
    await closed(onB, "alice's Bearer socket on node b", 2000);
    await closed(cookieOnB, "alice's cookie socket on node b", 2000);
    const closeMs = Math.max(...[onB, cookieOnB].map((s) => s.disconnects[0]!.at - startedAt));
    // The measured figure for the report (disable request on node a → socket closed on node b).
    process.stdout.write(`[revocation] disabled user's sockets on the other node closed ${closeMs} ms after the request\n`);
    expect(closeMs).toBeLessThan(2000);
    expect(onB.of('session:ended').map((e) => e.payload)).toEqual([{ reason: 'disabled' }]);

    const login = await a.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: FIXTURE_PASSWORD } });
    expect([login.statusCode, login.json()]).toEqual([403, { error: 'USER_DISABLED', message: 'This account is disabled' }]);
    expect(
      (await b.inject({ method: 'POST', url: '/api/auth/session', payload: { username: 'alice', password: FIXTURE_PASSWORD } })).statusCode,
    ).toBe(403);
    expect((await get(b, withToken(aliceToken))).json().error).toBe('USER_DISABLED');
    expect((await get(b, { cookie: aliceCookie })).statusCode).toBe(401);
    await expect(openSocket(urlA, { token: aliceToken })).rejects.toThrow(/disabled/);

    // Enabled again: she logs in anew (the old token stays revoked).
    expect((await disable(false)).json()).toEqual({ userId: t.f.users.alice.id, disabledAt: null });
    const again = await bearer(b, 'alice');
    expect((await get(b, withToken(again))).statusCode).toBe(200);
    expect((await get(b, withToken(aliceToken))).json().error).toBe('TOKEN_REVOKED');
  });

  it('is for admins of the same org only: anyone else, another org or oneself get the 404 of an unknown route', async () => {
    const opsToken = await bearer(a, 'ops');
    const bobToken = await bearer(a, 'bob');
    const put = (userId: string, token?: string) =>
      a.inject({
        method: 'PUT',
        url: `/api/admin/users/${userId}/disabled`,
        headers: token ? withToken(token) : {},
        payload: { disabled: true },
      });
    const users = t.f.users;
    const ops = (await t.f.db.selectFrom('users').select('id').where('username', '=', 'ops').executeTakeFirstOrThrow()).id;
    for (const res of [
      await put(users.bob.id),
      await put(users.alice.id, bobToken),
      await put(users.carol.id, opsToken),
      await put(ops, opsToken),
    ]) {
      expect([res.statusCode, res.json().error]).toEqual([404, 'NOT_FOUND']);
    }
    const bad = await a.inject({
      method: 'PUT',
      url: `/api/admin/users/${users.bob.id}/disabled`,
      headers: withToken(opsToken),
      payload: {},
    });
    expect([bad.statusCode, bad.json().error]).toEqual([400, 'VALIDATION_FAILED']);
    const rows = await t.f.db.selectFrom('users').select(['username', 'disabledAt']).where('disabledAt', 'is not', null).execute();
    expect(rows).toEqual([]);
  });
});
