import type { FastifyInstance } from 'fastify';
import { createSigner, type SignerOptions } from 'fast-jwt';
import { TOKEN_AUDIENCE } from '@taskflow/events';
import { createUser, revokeEverything } from '@taskflow/store';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { eventually } from '@taskflow/testing';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../testing/test-app';
import { JWT_ISSUER } from './auth.plugin';

let t: TestApp;
let app: FastifyInstance;

beforeAll(async () => {
  t = await startTestApp();
  app = t.app;
  await app.ready();
});
afterAll(() => t.close());

const login = (payload: unknown) => app.inject({ method: 'POST', url: '/api/auth/login', payload: payload as object });
const getWith = (url: string, authorization?: string) =>
  app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } });

const b64url = (value: object) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const decodeHeader = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));

/** The claims the server itself puts in a session token, for alice (token version 0: she never revoked). */
function aliceClaims() {
  const a = t.f.users.alice;
  return { sub: a.id, org: a.orgId, username: a.username, name: a.name, ver: 0 };
}

/** Signs like the server does (HS256, our issuer and audience, our secret) unless told otherwise. */
function sign(claims: object, options: Partial<SignerOptions & { key: string }> = {}): string {
  return createSigner({ key: TEST_JWT_SECRET, algorithm: 'HS256', iss: JWT_ISSUER, aud: TOKEN_AUDIENCE, expiresIn: 60_000, ...options })(
    claims,
  );
}

describe('POST /api/auth/login', () => {
  it('answers 200 with a session token and the user, without the password hash', async () => {
    const res = await login({ username: 'alice', password: FIXTURE_PASSWORD });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const a = t.f.users.alice;
    expect(body.user).toEqual({ id: a.id, username: 'alice', name: 'Alice', orgId: a.orgId });
    expect(Object.keys(body).sort()).toEqual(['token', 'user']);
    expect(res.body).not.toMatch(/passwordHash|password_hash|scrypt/i);

    // The token is HS256, carries our issuer and the user, and opens protected routes.
    expect(decodeHeader(body.token)).toMatchObject({ alg: 'HS256' });
    expect(app.jwt.decode<Record<string, unknown>>(body.token)).toMatchObject({
      ...aliceClaims(),
      iss: JWT_ISSUER,
      aud: TOKEN_AUDIENCE,
      ver: 0,
      exp: expect.any(Number),
    });
    const me = await getWith('/api/auth/me', `Bearer ${body.token}`);
    expect(me.statusCode).toBe(200);
    expect(me.json().user.id).toBe(a.id);
  });

  it('treats the username case-insensitively', async () => {
    const res = await login({ username: 'ALICE', password: FIXTURE_PASSWORD });
    expect(res.statusCode).toBe(200);
    expect(res.json().user.username).toBe('alice');
  });

  it('answers a wrong password and an unknown user with the same 401', async () => {
    const wrongPassword = await login({ username: 'alice', password: 'not the password' });
    const unknownUser = await login({ username: 'mallory', password: FIXTURE_PASSWORD });
    expect(wrongPassword.statusCode).toBe(401);
    expect(unknownUser.statusCode).toBe(401);
    expect(wrongPassword.json()).toEqual({ error: 'INVALID_CREDENTIALS', message: 'Wrong username or password' });
    expect(unknownUser.json()).toEqual(wrongPassword.json());
  });

  it.each([
    ['a missing password', { username: 'alice' }],
    ['a missing username', { password: FIXTURE_PASSWORD }],
    ['an unknown field', { username: 'alice', password: FIXTURE_PASSWORD, remember: true }],
    ['an empty password', { username: 'alice', password: '' }],
  ])('answers %s with 400 and no token', async (_case, payload) => {
    const res = await login(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'VALIDATION_FAILED', message: expect.any(String) });
    expect(res.json()).not.toHaveProperty('token');
  });
});

describe('GET /api/auth/me', () => {
  it('answers the user of a valid token, from the database', async () => {
    const res = await getWith('/api/auth/me', `Bearer ${sign(aliceClaims())}`);
    expect(res.statusCode).toBe(200);
    const a = t.f.users.alice;
    expect(res.json()).toEqual({ user: { id: a.id, username: 'alice', name: 'Alice', orgId: a.orgId } });
  });

  it('answers 401 when the token outlived its account', async () => {
    const ghost = await createUser(t.f.db, { orgId: t.f.users.alice.orgId, username: 'ghost', name: 'Ghost', password: FIXTURE_PASSWORD });
    const token = sign({ sub: ghost.id, org: ghost.orgId, username: ghost.username, name: ghost.name, ver: 0 });
    await t.f.db.deleteFrom('users').where('id', '=', ghost.id).execute();
    const res = await getWith('/api/auth/me', `Bearer ${token}`);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'UNAUTHORIZED', message: 'This account no longer exists' });
  });
});

describe('protected routes', () => {
  const UNAUTHORIZED = { error: 'UNAUTHORIZED', message: 'Authentication required' };

  it('let a token signed like ours through (control for the cases below)', async () => {
    const res = await getWith('/api/tasks', `Bearer ${sign(aliceClaims())}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toHaveProperty('tasks');
  });

  it('answer 401 without a token', async () => {
    const res = await getWith('/api/tasks');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual(UNAUTHORIZED);
  });

  it.each([
    ['another scheme', () => `Basic ${Buffer.from('alice:x').toString('base64')}`],
    ['Bearer without a token', () => 'Bearer'],
    ['a token without the Bearer scheme', () => sign(aliceClaims())],
    ['a token that is not a JWT', () => 'Bearer not-a-jwt'],
    ['a JWT with a truncated signature', () => `Bearer ${sign(aliceClaims()).slice(0, -4)}`],
  ])('answer 401 with a malformed Authorization header: %s', async (_case, header) => {
    const res = await getWith('/api/tasks', header());
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual(UNAUTHORIZED);
  });

  it('answer 401 TOKEN_EXPIRED for an expired token', async () => {
    // Issued an hour ago, valid for a minute.
    const expired = sign(aliceClaims(), { clockTimestamp: Date.now() - 3_600_000, expiresIn: 60_000 });
    const res = await getWith('/api/tasks', `Bearer ${expired}`);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'TOKEN_EXPIRED', message: 'Your session has expired; log in again' });
  });

  it('answer 401 for a token signed with another secret', async () => {
    const forged = sign(aliceClaims(), { key: 'another-secret-of-the-same-length-0123456' });
    const res = await getWith('/api/tasks', `Bearer ${forged}`);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual(UNAUTHORIZED);
  });

  it('answer 401 for an unsigned token (alg: none)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ ...aliceClaims(), iss: JWT_ISSUER, iat: now, exp: now + 600 })}.`;
    const res = await getWith('/api/tasks', `Bearer ${unsigned}`);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual(UNAUTHORIZED);
  });

  it('answer 401 for a token of another HMAC algorithm, even with our secret', async () => {
    const hs512 = sign(aliceClaims(), { algorithm: 'HS512' });
    expect(decodeHeader(hs512).alg).toBe('HS512');
    const res = await getWith('/api/tasks', `Bearer ${hs512}`);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual(UNAUTHORIZED);
  });

  it('answer 401 for a token of another issuer', async () => {
    const res = await getWith('/api/tasks', `Bearer ${sign(aliceClaims(), { iss: 'someone-else' })}`);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual(UNAUTHORIZED);
  });

  it.each([
    ['without an audience', () => sign(aliceClaims(), { aud: undefined })],
    ['for another audience', () => sign(aliceClaims(), { aud: 'another-api' })],
    ['without a token version', () => sign({ ...aliceClaims(), ver: undefined })],
    ['with a token version that is not a number', () => sign({ ...aliceClaims(), ver: '0' })],
  ])('answer 401 for a token %s', async (_case, token) => {
    const res = await getWith('/api/tasks', `Bearer ${token()}`);
    expect(res.json()).toEqual(UNAUTHORIZED);
  });

  it('answer 401 TOKEN_REVOKED once the user revoked their tokens, within the token-version cache (5 s) on a node not told', async () => {
    const frank = await createUser(t.f.db, { orgId: t.f.users.alice.orgId, username: 'frank', name: 'Frank', password: FIXTURE_PASSWORD });
    const token = sign({ sub: frank.id, org: frank.orgId, username: 'frank', name: 'Frank', ver: 0 });
    expect((await getWith('/api/tasks', `Bearer ${token}`)).statusCode).toBe(200);
    // Straight in the database, as another node would: this node hears of it only when its cached version expires.
    const revokedAt = Date.now();
    await revokeEverything(t.f.db, frank.id);
    const res = await eventually(
      'the revoked token to be refused',
      async () => {
        const r = await getWith('/api/tasks', `Bearer ${token}`);
        return r.statusCode === 401 ? r : undefined;
      },
      7000,
    );
    expect(Date.now() - revokedAt).toBeLessThan(7000);
    expect(res.json()).toEqual({ error: 'TOKEN_REVOKED', message: 'This token was revoked; log in again' });
    // A token at the new version works at once.
    expect(
      (await getWith('/api/tasks', `Bearer ${sign({ sub: frank.id, org: frank.orgId, username: 'frank', name: 'Frank', ver: 1 })}`))
        .statusCode,
    ).toBe(200);
  });

  // The issuer is pinned: a token without one is not ours either. fast-jwt checks `allowedIss`
  // only when the claim is present, unless `requiredClaims` lists it.
  it('answer 401 for a token without an issuer', async () => {
    const noIssuer = sign(aliceClaims(), { iss: undefined });
    expect(app.jwt.decode<Record<string, unknown>>(noIssuer)).not.toHaveProperty('iss');
    const res = await getWith('/api/tasks', `Bearer ${noIssuer}`);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual(UNAUTHORIZED);
  });
});
