import type { LightMyRequestResponse } from 'fastify';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { startTestApp, type TestApp } from '../testing/test-app';

/**
 * Parallel guesses against the login limiter (real Redis and PostgreSQL): an attempt is counted before its password
 * is checked, so a burst cannot all pass the check before the first failure lands, and the node runs only a few checks
 * at once.
 */
jest.setTimeout(60_000);

const MAX_FAILURES = 10;

function tally(responses: LightMyRequestResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1;
  return counts;
}

describe('login limiter under parallel attempts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: String(MAX_FAILURES), LOGIN_MAX_FAILURES_PER_ADDRESS: '20' });
    await t.app.ready();
  });
  afterAll(() => t?.close());

  const login = (username: string, password: string, remoteAddress: string) =>
    t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress });

  it.each([
    ['a known user', 'alice', '203.0.113.1'],
    ['an unknown user', 'mallory', '203.0.113.2'],
  ])(
    'answers 60 parallel wrong passwords for %s with at most LOGIN_MAX_FAILURES checks, then refuses the right one',
    async (_c, user, ip) => {
      const responses = await Promise.all(Array.from({ length: 60 }, (_, i) => login(user, `guess-${i}`, ip)));
      const counts = tally(responses);
      process.stdout.write(`60 parallel wrong passwords for ${user}: ${JSON.stringify(counts)}\n`);
      expect(Object.keys(counts).sort()).toEqual(['401', '429']);
      expect(counts[401]).toBeLessThanOrEqual(MAX_FAILURES);
      expect(counts[401]! + counts[429]!).toBe(60);
      for (const refused of responses.filter((r) => r.statusCode === 429)) {
        expect(refused.json()).toMatchObject({ error: 'RATE_LIMITED' });
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      }

      // The budget is spent: the right password, sent last, is refused too (for the unknown user, so is any).
      const right = await login(user, FIXTURE_PASSWORD, ip);
      expect(right.statusCode).toBe(429);
      expect(right.json()).toEqual({
        error: 'RATE_LIMITED',
        message: expect.stringMatching(/^Too many failed logins; try again in \d+ s$/),
      });
      // Only that user from that address: the same user elsewhere still logs in.
      if (user === 'alice') expect((await login(user, FIXTURE_PASSWORD, '203.0.113.3')).statusCode).toBe(200);
    },
  );
});

describe('login checks per node', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      LOGIN_CHECK_CONCURRENCY: '1',
      LOGIN_CHECK_QUEUE: '2',
      LOGIN_CHECKS_PER_ADDRESS: '2',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '3',
    });
    await t.app.ready();
  });
  afterAll(() => t?.close());

  const login = (username: string, password: string, remoteAddress: string) =>
    t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress });

  it('answers 503 LOGIN_BUSY with Retry-After once the queue is full', async () => {
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => login('alice', 'guess', `198.51.100.${i + 1}`)));
    expect(tally(responses)).toEqual({ 401: 3, 503: 7 });
    const busy = responses.filter((r) => r.statusCode === 503);
    for (const r of busy) {
      expect(r.json()).toEqual({
        error: 'LOGIN_BUSY',
        message: expect.stringMatching(/^Too many logins at once on this server; try again in \d+ s$/),
      });
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // Load shed on purpose: one warning line each, no error with a stack trace.
    expect(t.logs().filter((l) => l.level >= 50)).toEqual([]);
    expect(t.logs().filter((l) => l.code === 'LOGIN_BUSY')).toHaveLength(7);
    // Once the burst is over the node checks again.
    expect((await login('alice', FIXTURE_PASSWORD, '198.51.100.10')).statusCode).toBe(200);
  });

  it('answers one address its excess with 429 while other addresses get their turn', async () => {
    const responses = await Promise.all([
      ...Array.from({ length: 3 }, () => login('bob', 'guess', '198.51.100.50')),
      login('carol', FIXTURE_PASSWORD, '198.51.100.51'),
    ]);
    expect(responses.map((r) => r.statusCode)).toEqual([401, 401, 429, 200]);
    expect(responses[2]!.json()).toEqual({ error: 'RATE_LIMITED', message: 'Too many logins at once from this address; try again in 1 s' });
    expect(responses[2]!.headers['retry-after']).toBe('1');
  });

  it('gives the attempt back when the password was right: parallel successes spend nothing', async () => {
    const ip = '198.51.100.60';
    // 3 x 2 parallel right logins: 6 attempts from an address whose budget is 3, each given back.
    for (let round = 0; round < 3; round++) {
      const responses = await Promise.all(['alice', 'bob'].map((user) => login(user, FIXTURE_PASSWORD, ip)));
      expect(responses.map((r) => r.statusCode)).toEqual([200, 200]);
    }
    // The budget is whole: 3 wrong passwords are checked, then the address's budget is spent: a 4th username's wrong
    // password is checked only because its own budget is not (shared NAT), and still counted.
    for (const user of ['alice', 'bob', 'nobody']) expect((await login(user, 'guess', ip)).statusCode).toBe(401);
    expect((await login('carol', 'guess', ip)).statusCode).toBe(401);
  });
});

describe('login limiter behind a shared address (NAT)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_ADDRESS: '4', LOGIN_MAX_FAILURES_PER_USER: '5' });
    await t.app.ready();
  });
  afterAll(() => t?.close());

  const login = (username: string, password: string, remoteAddress: string) =>
    t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress });
  const NAT = '192.0.2.200';

  it('lets a right password in once the address budget is spent, unless that username has spent its own', async () => {
    // Someone behind the NAT spends the address's whole budget on other usernames.
    for (let i = 0; i < 4; i++) expect((await login(`sprayed${i}`, 'guess', NAT)).statusCode).toBe(401);
    // alice, behind the same NAT, still logs in: her own budget is whole.
    expect((await login('alice', FIXTURE_PASSWORD, NAT)).statusCode).toBe(200);

    // Wrong passwords from the full address still count per address+username: 3 for bob, then his right one is refused.
    for (let i = 0; i < 3; i++) expect((await login('bob', 'guess', NAT)).statusCode).toBe(401);
    expect((await login('bob', FIXTURE_PASSWORD, NAT)).statusCode).toBe(429);

    // carol's username budget is spent from elsewhere (5 addresses, one guess each: no address or pair budget spent).
    for (let i = 0; i < 5; i++) expect((await login('carol', 'guess', `198.51.100.${200 + i}`)).statusCode).toBe(401);
    // From the full NAT address both budgets are spent: refused, with the later retry time.
    const refused = await login('carol', FIXTURE_PASSWORD, NAT);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({
      error: 'RATE_LIMITED',
      message: expect.stringMatching(/^Too many failed logins; try again in \d+ s$/),
    });
    // From an address with budget left, carol's right password is checked as before.
    expect((await login('carol', FIXTURE_PASSWORD, '198.51.100.210')).statusCode).toBe(200);
  });
});
