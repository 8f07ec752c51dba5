import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { CSRF_HEADER, SECURE_SESSION_COOKIE, SESSION_COOKIE } from '@taskflow/events';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { eventually, openSocket, type TestSocket } from '@taskflow/testing';
import { startTestApp, type TestApp } from '../testing/test-app';

/**
 * Browser sessions in an httpOnly cookie, on a listening node with the gateway: CSRF on
 * writes, sliding while in use, ending after the idle time (3 s here), logout everywhere.
 */
jest.setTimeout(60_000);

const ORIGIN = 'http://app.test';
let t: TestApp;
let app: FastifyInstance;
let url: string;
const open: TestSocket[] = [];

beforeAll(async () => {
  t = await startTestApp({ SESSION_IDLE_MINUTES: '0.05', WEBSOCKET_CORS_ORIGIN: ORIGIN });
  app = t.app;
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const s of open) s.close();
  await t.close();
});

// Lets session time pass (use, idleness): these tests are about the idle deadline itself.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function logIn(username = 'alice') {
  const res = await app.inject({ method: 'POST', url: '/api/auth/session', payload: { username, password: FIXTURE_PASSWORD } });
  expect(res.statusCode).toBe(200);
  const cookie = res.cookies.find((c) => c.name === SESSION_COOKIE)!;
  return { res, cookie: `${SESSION_COOKIE}=${cookie.value}`, raw: cookie, csrf: res.json().csrfToken as string };
}

const withCookie = (
  cookie: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  headers: Record<string, string> = {},
  payload?: object,
) => app.inject({ method, url: path, headers: { cookie, ...headers }, ...(payload ? { payload } : {}) });

async function taskCount(): Promise<number> {
  return Number((await sql<{ n: string }>`select count(*) as n from tasks`.execute(t.f.db)).rows[0]!.n);
}

async function socketOf(cookie: string): Promise<TestSocket> {
  const s = await openSocket(url, { extraHeaders: { cookie, origin: ORIGIN } });
  open.push(s);
  return s;
}

describe('cookie sessions over HTTP', () => {
  it('logs in into an httpOnly, SameSite=Strict cookie and never hands the token to page scripts', async () => {
    const { res, raw, cookie } = await logIn();
    expect(raw).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(res.json()).toEqual({
      user: expect.objectContaining({ username: 'alice', role: 'member' }),
      csrfToken: expect.any(String),
      expiresAt: expect.any(String),
      idleSeconds: 3,
    });
    expect(JSON.stringify(res.json())).not.toContain(raw.value);
    // A second tab: the same cookie answers who it is.
    const again = await withCookie(cookie, 'GET', '/api/auth/session');
    expect(again.json().user.username).toBe('alice');
    expect((await withCookie(cookie, 'GET', '/api/tasks')).statusCode).toBe(200);
  });

  it('refuses cookie writes without the CSRF header (403), with a wrong one or from a foreign origin, and changes nothing', async () => {
    // Bob first: his password check can outlast alice's 3 s idle time on a busy machine.
    const other = await logIn('bob');
    const { cookie, csrf } = await logIn();
    const body = { title: 'Cookie task', description: 'Made with a cookie.' };
    const before = await taskCount();
    const missing = await withCookie(cookie, 'POST', '/api/tasks', {}, body);
    expect([missing.statusCode, missing.json().error]).toEqual([403, 'CSRF_FAILED']);
    expect((await withCookie(cookie, 'POST', '/api/tasks', { [CSRF_HEADER]: `${csrf}x` }, body)).statusCode).toBe(403);
    expect((await withCookie(cookie, 'POST', '/api/tasks', { [CSRF_HEADER]: csrf, origin: 'https://evil.test' }, body)).statusCode).toBe(
      403,
    );
    expect(await taskCount()).toBe(before);
    const ok = await withCookie(cookie, 'POST', '/api/tasks', { [CSRF_HEADER]: csrf, origin: ORIGIN }, body);
    expect(ok.statusCode).toBe(202);
    // Another session's CSRF token does not fit this one.
    expect((await withCookie(cookie, 'POST', '/api/tasks', { [CSRF_HEADER]: other.csrf }, body)).statusCode).toBe(403);
  });

  it('keeps Bearer tokens working for API clients, without CSRF', async () => {
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'bob', password: FIXTURE_PASSWORD } });
    const res = await app.inject({
      method: 'POST',
      url: '/api/tasks',
      headers: { authorization: `Bearer ${login.json().token}` },
      payload: { title: 'Bearer task', description: 'Made by a CLI.' },
    });
    expect(res.statusCode).toBe(202);
  });

  it('slides while in use and ends after the idle time with a 401', async () => {
    const { cookie } = await logIn();
    for (let i = 0; i < 5; i++) {
      await sleep(1000);
      expect((await withCookie(cookie, 'GET', '/api/tasks')).statusCode).toBe(200);
    }
    await sleep(3500);
    const idle = await withCookie(cookie, 'GET', '/api/tasks');
    expect([idle.statusCode, idle.json().error]).toEqual([401, 'SESSION_EXPIRED']);
  });

  it('answers 401 to an unknown cookie and to one past its hard cap', async () => {
    expect((await withCookie(`${SESSION_COOKIE}=forged`, 'GET', '/api/tasks')).statusCode).toBe(401);
    const { cookie } = await logIn();
    await sql`update sessions set created_at = now() - interval '400 days'`.execute(t.f.db);
    expect((await withCookie(cookie, 'GET', '/api/auth/session')).statusCode).toBe(401);
  });
});

describe('the cookie name follows the scheme, known from a trusted proxy only', () => {
  const HTTPS = { 'x-forwarded-proto': 'https' };
  const logInOver = (headers: Record<string, string>, remoteAddress?: string) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/session',
      headers,
      remoteAddress,
      payload: { username: 'bob', password: FIXTURE_PASSWORD },
    });

  it('is __Host- with Secure, Path=/ and no Domain behind a trusted HTTPS proxy; only that name is read there', async () => {
    // inject's peer is 127.0.0.1: the default TRUSTED_PROXIES (loopback), as HAProxy on the same host.
    const res = await logInOver(HTTPS);
    expect(res.statusCode).toBe(200);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(new RegExp(`^${SECURE_SESSION_COOKIE}=[^;]+; Max-Age=\\d+; Path=/; HttpOnly; Secure; SameSite=Strict$`));
    expect(setCookie).not.toMatch(/Domain=/i);
    const value = res.cookies.find((c) => c.name === SECURE_SESSION_COOKIE)!.value;
    expect((await withCookie(`${SECURE_SESSION_COOKIE}=${value}`, 'GET', '/api/auth/session', HTTPS)).statusCode).toBe(200);
    // The same token under the plain name is not read over HTTPS (a plain-http page could have planted it) ...
    expect((await withCookie(`${SESSION_COOKIE}=${value}`, 'GET', '/api/auth/session', HTTPS)).statusCode).toBe(401);
    // ... nor the __Host- one over plain http.
    expect((await withCookie(`${SECURE_SESSION_COOKIE}=${value}`, 'GET', '/api/auth/session')).statusCode).toBe(401);
    const socket = await openSocket(url, { extraHeaders: { cookie: `${SECURE_SESSION_COOKIE}=${value}`, origin: ORIGIN, ...HTTPS } });
    open.push(socket);
    expect(socket.socket.connected).toBe(true);
    await expect(openSocket(url, { extraHeaders: { cookie: `${SESSION_COOKIE}=${value}`, origin: ORIGIN, ...HTTPS } })).rejects.toThrow(
      /Authentication required/,
    );
  });

  it('is the plain name without Secure over plain http, and when X-Forwarded-Proto comes from an untrusted peer', async () => {
    for (const res of [await logInOver({}), await logInOver(HTTPS, '203.0.113.7')]) {
      expect(res.statusCode).toBe(200);
      const setCookie = String(res.headers['set-cookie']);
      expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[^;]+; Max-Age=\\d+; Path=/; HttpOnly; SameSite=Strict$`));
    }
  });
});

describe('cookie sessions on the socket', () => {
  it('opens a socket with the cookie alone and refuses a handshake with neither cookie nor token', async () => {
    const { cookie } = await logIn();
    const s = await socketOf(cookie);
    expect(s.socket.connected).toBe(true);
    await expect(openSocket(url, { extraHeaders: { origin: ORIGIN } })).rejects.toMatchObject({
      message: expect.stringMatching(/Authentication required/),
      data: { code: 'UNAUTHENTICATED' },
    });
    await expect(openSocket(url, { extraHeaders: { cookie: `${SESSION_COOKIE}=forged`, origin: ORIGIN } })).rejects.toMatchObject({
      message: expect.stringMatching(/Session expired/),
      data: { code: 'SESSION_EXPIRED' },
    });
  });

  it('refreshes before expiry without dropping the socket, then ends it when left idle', async () => {
    const { cookie } = await logIn();
    const s = await socketOf(cookie);
    const firstId = s.socket.id;
    let last = '';
    for (let i = 0; i < 6; i++) {
      await sleep(1000);
      const ack = await s.request('session:refresh', {});
      expect(ack.ok).toBe(true);
      last = ack.data?.expiresAt ?? '';
    }
    // Six seconds on a three-second idle time: the same connection throughout.
    expect([s.socket.connected, s.socket.id, s.disconnects]).toEqual([true, firstId, []]);
    expect(Date.parse(last)).toBeGreaterThan(Date.now() + 1000);
    // About 3 s of idleness; the deadline is a ceiling for a busy machine.
    const ended = await s.waitFor((e) => e.event === 'session:ended', 'session:ended', 15_000);
    expect(ended.payload).toEqual({ reason: 'expired' });
    await s.waitFor((e) => e.event === 'error' && e.payload.code === 'TOKEN_EXPIRED', 'TOKEN_EXPIRED');
    await eventually('the server to close the socket', async () => (s.socket.connected ? undefined : true), 5000);
  });

  it('keeps a socket whose session another tab kept alive over HTTP', async () => {
    const { cookie } = await logIn();
    const s = await socketOf(cookie);
    for (let i = 0; i < 5; i++) {
      await sleep(1000);
      await withCookie(cookie, 'GET', '/api/auth/session');
    }
    expect(s.socket.connected).toBe(true);
    expect(s.of('session:ended')).toEqual([]);
  });

  it('logout in one tab ends the session everywhere: both sockets are told and closed, the cookie stops working', async () => {
    const { cookie, csrf } = await logIn();
    const [tabA, tabB] = [await socketOf(cookie), await socketOf(cookie)];
    const other = await socketOf((await logIn('alice')).cookie);
    const bad = await withCookie(cookie, 'DELETE', '/api/auth/session');
    expect(bad.statusCode).toBe(403);
    const res = await withCookie(cookie, 'DELETE', '/api/auth/session', { [CSRF_HEADER]: csrf });
    expect(res.statusCode).toBe(204);
    expect(res.cookies.find((c) => c.name === SESSION_COOKIE)?.value).toBe('');
    for (const tab of [tabA, tabB]) {
      expect((await tab.waitFor((e) => e.event === 'session:ended', 'session:ended')).payload).toEqual({ reason: 'logout' });
      await new Promise<void>((r) => (tab.socket.connected ? tab.socket.once('disconnect', () => r()) : r()));
    }
    // Alice's other session (another browser) is untouched.
    expect(other.socket.connected).toBe(true);
    expect((await withCookie(cookie, 'GET', '/api/tasks')).statusCode).toBe(401);
    await expect(openSocket(url, { extraHeaders: { cookie, origin: ORIGIN } })).rejects.toMatchObject({
      message: expect.stringMatching(/Session expired/),
      data: { code: 'SESSION_EXPIRED' },
    });
  });

  it('lets a Bearer socket move its deadline with a new token, but not with someone else’s', async () => {
    const tokenOf = async (username: string) =>
      (await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: FIXTURE_PASSWORD } })).json()
        .token as string;
    const s = await openSocket(url, { token: await tokenOf('alice') });
    open.push(s);
    expect((await s.request('session:refresh', {})).error?.code).toBe('INVALID_PAYLOAD');
    expect((await s.request('session:refresh', { token: await tokenOf('bob') })).error?.code).toBe('UNAUTHORIZED');
    const ok = await s.request('session:refresh', { token: await tokenOf('alice') });
    expect(ok).toEqual({ ok: true, data: { expiresAt: expect.any(String) } });
  });
});
