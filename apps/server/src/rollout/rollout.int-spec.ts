import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { KyselyPlugin } from 'kysely';
import pino from 'pino';
import { CONNECT_ERRORS, CSRF_HEADER, SESSION_COOKIE, type RolloutStateResponse } from '@taskflow/events';
import { PipelineQueue } from '@taskflow/queue';
import { createUser, setUserLiveOverride } from '@taskflow/store';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { eventually, openSocket, type TestSocket } from '@taskflow/testing';
import { buildApp } from '../app';
import { loadServerConfig } from '../config';
import { listenOnLoopback, startTestApp, TEST_JWT_SECRET, TEST_WEBHOOK_SECRET, type TestApp } from '../testing/test-app';

/**
 * Rollout controls of live updates on two server nodes sharing PostgreSQL and Redis: the admin API (who may change
 * what, body validation, audit), `/api/config` per user, and the switch applied to connected sockets on every node.
 */
jest.setTimeout(60_000);

let t: TestApp;
let a: FastifyInstance;
let b: FastifyInstance;
let bQueue: PipelineQueue;
let urlA: string;
let urlB: string;
const sockets: TestSocket[] = [];
const tokens: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestApp({ NODE_ID: 'node-a' });
  a = t.app;
  const { alice, carol } = t.f.users;
  await createUser(t.f.db, { orgId: alice.orgId, username: 'ops', name: 'Ops', password: FIXTURE_PASSWORD, role: 'operator' });
  // Admins without a password to hash (the machine is shared): tokens are signed for them directly below.
  await t.f.db
    .insertInto('users')
    .values([
      { orgId: alice.orgId, username: 'acme-admin', name: 'Acme admin', passwordHash: '-', role: 'admin' },
      { orgId: carol.orgId, username: 'globex-admin', name: 'Globex admin', passwordHash: '-', role: 'admin' },
    ])
    .execute();
  const config = loadServerConfig({
    DATABASE_URL: t.f.url,
    REDIS_URL: process.env.TEST_REDIS_URL,
    JWT_SECRET: TEST_JWT_SECRET,
    GITHUB_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    QUEUE_PREFIX: t.prefix,
    NODE_ID: 'node-b',
  });
  const logger = pino({ level: 'silent' });
  bQueue = PipelineQueue.connect(config.REDIS_URL, t.prefix, logger);
  b = await buildApp({ config, db: t.f.db, logger, queue: bQueue });
  urlA = await listenOnLoopback(a);
  urlB = await listenOnLoopback(b);
  const users = await t.f.db.selectFrom('users').select(['id', 'orgId', 'username', 'name']).execute();
  for (const u of users) tokens[u.username] = a.signSession(u);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await b?.close().catch(() => undefined);
  await bQueue?.close();
  await t.close();
});

const auth = (user: string) => ({ authorization: `Bearer ${tokens[user]}` });
const put = (app: FastifyInstance, user: string, url: string, payload: unknown) =>
  app.inject({ method: 'PUT', url, headers: auth(user), payload: payload as Record<string, unknown> });
async function state(user: string): Promise<RolloutStateResponse> {
  const res = await a.inject({ method: 'GET', url: '/api/admin/rollout', headers: auth(user) });
  expect(res.statusCode).toBe(200);
  return res.json();
}
async function socketOn(url: string, user: string): Promise<TestSocket> {
  const s = await openSocket(url, { token: tokens[user]! });
  sockets.push(s);
  return s;
}
/**
 * A socket for a user just let back in through node A: another node hears `rollout:changed` through Redis a moment
 * later, and refuses the handshake (LIVE_OFF) until then.
 */
const liveSocketOn = (url: string, user: string) =>
  eventually(`${user} let in on ${url}`, () => socketOn(url, user).catch(() => undefined), 10_000);
const liveOf = async (user: string) =>
  (await a.inject({ method: 'GET', url: '/api/config', headers: auth(user) })).json().features.websocket as boolean;

describe('who may change the rollout', () => {
  it('is an unknown route (404) to a member and to nobody, before the body is even read', async () => {
    for (const headers of [auth('alice'), {}]) {
      for (const [method, url] of [
        ['GET', '/api/admin/rollout'],
        ['PUT', '/api/admin/rollout'],
        ['PUT', `/api/admin/rollout/orgs/${t.f.users.alice.orgId}`],
        ['PUT', `/api/admin/rollout/users/${t.f.users.alice.id}`],
      ] as const) {
        const res = await a.inject({ method, url, headers, payload: method === 'PUT' ? { nonsense: true } : undefined });
        expect({ url, status: res.statusCode, code: res.json().error }).toEqual({ url, status: 404, code: 'NOT_FOUND' });
      }
    }
  });

  it('keeps the kill switch and the percentage to operators (403 to an org admin)', async () => {
    const res = await put(a, 'acme-admin', '/api/admin/rollout', { percent: 10 });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'FORBIDDEN', message: expect.stringMatching(/operator/) });
    expect((await state('ops')).percent).toBe(100);
  });

  it("lets an org admin change only the org's own override and users (another org's: 404, as if absent)", async () => {
    const { alice, carol } = t.f.users;
    expect((await put(a, 'acme-admin', `/api/admin/rollout/orgs/${carol.orgId}`, { live: 'off' })).statusCode).toBe(404);
    expect((await put(a, 'acme-admin', `/api/admin/rollout/users/${carol.id}`, { live: 'out' })).statusCode).toBe(404);
    expect((await put(a, 'acme-admin', '/api/admin/rollout/users/00000000-0000-4000-8000-000000000000', { live: 'out' })).statusCode).toBe(
      404,
    );
    const own = await put(a, 'acme-admin', `/api/admin/rollout/users/${alice.id}`, { live: 'in' });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toEqual({
      changes: [{ setting: 'user', orgId: alice.orgId, subjectId: alice.id, oldValue: 'inherit', newValue: 'in' }],
    });
    expect((await put(a, 'acme-admin', `/api/admin/rollout/users/${alice.id}`, { live: 'inherit' })).statusCode).toBe(200);

    // Its view is its org's: its users, its override, its audit.
    const view = await state('acme-admin');
    expect(view.scope).toBe('org');
    expect(view.orgs.map((o) => o.slug)).toEqual(['acme']);
    expect(view.users.every((u) => u.orgId === alice.orgId)).toBe(true);
    expect(view.users.map((u) => u.username)).toContain('bob');
    expect(view.audit.slice(0, 2).map((e) => [e.actorUsername, e.subjectId, e.oldValue, e.newValue])).toEqual([
      ['acme-admin', alice.id, 'in', 'inherit'],
      ['acme-admin', alice.id, 'inherit', 'in'],
    ]);
    expect((await state('globex-admin')).audit).toEqual([]);
  });

  it('answers 404 to an operator for an org or user that does not exist', async () => {
    const none = '00000000-0000-4000-8000-000000000000';
    expect((await put(a, 'ops', `/api/admin/rollout/orgs/${none}`, { live: 'on' })).json()).toMatchObject({ error: 'NOT_FOUND' });
    expect((await put(a, 'ops', `/api/admin/rollout/users/${none}`, { live: 'in' })).json()).toMatchObject({ error: 'NOT_FOUND' });
  });

  it('refuses a cookie write without its CSRF token (403), and takes one with it', async () => {
    const res = await a.inject({ method: 'POST', url: '/api/auth/session', payload: { username: 'ops', password: FIXTURE_PASSWORD } });
    const cookie = `${SESSION_COOKIE}=${res.cookies.find((c) => c.name === SESSION_COOKIE)!.value}`;
    const url = `/api/admin/rollout/orgs/${t.f.users.carol.orgId}`;
    const without = await a.inject({ method: 'PUT', url, headers: { cookie }, payload: { live: 'inherit' } });
    expect(without.json()).toMatchObject({ error: 'CSRF_FAILED' });
    expect(without.statusCode).toBe(403);
    const withToken = await a.inject({
      method: 'PUT',
      url,
      headers: { cookie, [CSRF_HEADER]: res.json().csrfToken },
      payload: { live: 'inherit' },
    });
    expect(withToken.json()).toEqual({ changes: [] });
  });
});

describe('body validation', () => {
  it.each([
    ['/api/admin/rollout', {}],
    ['/api/admin/rollout', { percent: 101 }],
    ['/api/admin/rollout', { percent: -1 }],
    ['/api/admin/rollout', { percent: 12.5 }],
    ['/api/admin/rollout', { percent: '50' }],
    ['/api/admin/rollout', { enabled: 'no' }],
    ['/api/admin/rollout', { percent: 10, extra: 1 }],
    ['/api/admin/rollout/orgs/ORG', { live: 'maybe' }],
    ['/api/admin/rollout/orgs/ORG', {}],
    ['/api/admin/rollout/orgs/not-a-uuid', { live: 'on' }],
    ['/api/admin/rollout/users/USER', { live: 'on' }],
    ['/api/admin/rollout/users/USER', { live: 'in', why: 'x' }],
    ['/api/admin/rollout/users/not-a-uuid', { live: 'in' }],
  ])('answers 400 with the reason to %s %j, and changes nothing', async (path, body) => {
    const before = (await state('ops')).audit.length;
    const url = path.replace('ORG', t.f.users.alice.orgId).replace('USER', t.f.users.bob.id);
    const res = await put(a, 'ops', url, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    expect((await state('ops')).audit.length).toBe(before);
  });
});

describe('the switch on connected browsers', () => {
  it('tells a user taken out on any node within seconds and refuses their new sockets; let back in, they connect', async () => {
    const { bob, alice } = t.f.users;
    const onB = await socketOn(urlB, 'bob');
    const aliceOnA = await socketOn(urlA, 'alice');
    expect(await liveOf('bob')).toBe(true);

    // Asked of node A: bob's socket is on node B.
    const changedAt = Date.now();
    expect((await put(a, 'ops', `/api/admin/rollout/users/${bob.id}`, { live: 'out' })).statusCode).toBe(200);
    const told = await onB.waitFor((e) => e.event === 'live:off', "bob's live:off on node B", 5000);
    expect(told.payload).toEqual({ reason: 'rollout' });
    expect(told.at - changedAt).toBeLessThan(5000);
    await eventually('bob disconnected', async () => (onB.socket.disconnected ? true : undefined), 5000);
    expect(onB.taskflow.getSnapshot()).toMatchObject({ status: 'polling', error: { code: 'LIVE_OFF' } });
    // Alice was not touched.
    expect(aliceOnA.socket.connected).toBe(true);
    expect(aliceOnA.of('live:off')).toEqual([]);

    await expect(openSocket(urlA, { token: tokens.bob! })).rejects.toThrow(CONNECT_ERRORS.LIVE_OFF);
    expect(await liveOf('bob')).toBe(false);
    expect(await liveOf('alice')).toBe(true);

    // The admin view counts bob as polling (his page asked /api/config), alice as live.
    const view = await eventually('counts', async () => {
      const v = await state('ops');
      return v.counts.live >= 1 && v.counts.polling >= 1 ? v : undefined;
    });
    expect(view.counts).toMatchObject({ live: 1, polling: 1 });
    expect(view.users.find((u) => u.id === bob.id)).toMatchObject({ override: 'out', live: false, reason: 'user-opt-out' });
    expect(view.users.find((u) => u.id === alice.id)).toMatchObject({ override: 'inherit', live: true, reason: 'percentage' });

    // Let back in: /api/config says so, and a socket connects.
    await put(a, 'ops', `/api/admin/rollout/users/${bob.id}`, { live: 'inherit' });
    expect(await liveOf('bob')).toBe(true);
    const again = await liveSocketOn(urlB, 'bob');
    expect(again.socket.connected).toBe(true);
  });

  it('applies the percentage, an org override and the kill switch to every node at once', async () => {
    const { carol } = t.f.users;
    const aliceOnA = await socketOn(urlA, 'alice');
    const carolOnB = await socketOn(urlB, 'carol');

    // Globex forced live, then 0 %: acme's alice is out, globex's carol stays.
    await put(a, 'ops', `/api/admin/rollout/orgs/${carol.orgId}`, { live: 'on' });
    await put(b, 'ops', '/api/admin/rollout', { percent: 0 });
    await aliceOnA.waitFor((e) => e.event === 'live:off', "alice's live:off", 5000);
    expect(carolOnB.socket.connected).toBe(true);
    expect(await liveOf('alice')).toBe(false);
    expect(await liveOf('carol')).toBe(true);

    // The kill switch: carol too, whatever her org says.
    await put(a, 'ops', '/api/admin/rollout', { enabled: false });
    await carolOnB.waitFor((e) => e.event === 'live:off', "carol's live:off", 5000);
    await expect(openSocket(urlB, { token: tokens.carol! })).rejects.toThrow(CONNECT_ERRORS.LIVE_OFF);

    await put(a, 'ops', '/api/admin/rollout', { enabled: true, percent: 100 });
    await put(a, 'ops', `/api/admin/rollout/orgs/${carol.orgId}`, { live: 'inherit' });
    expect(await liveOf('alice')).toBe(true);
    expect((await socketOn(urlA, 'alice')).socket.connected).toBe(true);

    // Every change above, audited with who and old → new.
    const audit = (await state('ops')).audit.slice(0, 5).reverse();
    expect(audit.map((e) => [e.actorUsername, e.setting, e.oldValue, e.newValue])).toEqual([
      ['ops', 'percent', '100', '0'],
      ['ops', 'enabled', 'true', 'false'],
      ['ops', 'enabled', 'false', 'true'],
      ['ops', 'percent', '0', '100'],
      ['ops', 'org', 'on', 'inherit'],
    ]);
  });
});

describe('decisions from memory', () => {
  let c: FastifyInstance;
  let cQueue: PipelineQueue;
  let urlC: string;
  /** Node C's statements that read the rollout's tables: its decisions (`reads`) and its version checks (`checks`). */
  const rolloutQueries = { reads: 0, checks: 0 };

  beforeAll(async () => {
    const counting: KyselyPlugin = {
      transformQuery: (args) => {
        const text = JSON.stringify(args.node);
        if (/live_?rollout|live_?overrides|liveOverrides/i.test(text)) {
          if (args.node.kind === 'RawNode') rolloutQueries.checks += 1;
          else rolloutQueries.reads += 1;
        }
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const config = loadServerConfig({
      DATABASE_URL: t.f.url,
      REDIS_URL: process.env.TEST_REDIS_URL,
      JWT_SECRET: TEST_JWT_SECRET,
      GITHUB_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      QUEUE_PREFIX: t.prefix,
      NODE_ID: 'node-c',
      LIVE_ROLLOUT_REFRESH_MS: '300',
    });
    const logger = pino({ level: 'silent' });
    cQueue = PipelineQueue.connect(config.REDIS_URL, t.prefix, logger);
    c = await buildApp({ config, db: t.f.db.withPlugin(counting), logger, queue: cQueue });
    urlC = await listenOnLoopback(c);
  });
  afterAll(async () => {
    await c?.close().catch(() => undefined);
    await cQueue?.close();
  });

  it('decides handshakes and /api/config polls without a query; a change on another node still applies within seconds', async () => {
    // Warm-up: a first handshake (the node reads the rollout at start, or for it at the latest).
    (await openSocket(urlC, { token: tokens.alice! })).close();
    expect(rolloutQueries.reads).toBeGreaterThan(0);
    const readsBefore = rolloutQueries.reads;
    for (let i = 0; i < 5; i++) {
      const s = await openSocket(urlC, { token: tokens[i % 2 ? 'alice' : 'bob']! });
      expect(s.socket.connected).toBe(true);
      s.close();
      const config = await c.inject({ method: 'GET', url: '/api/config', headers: auth('carol') });
      expect(config.json().features.websocket).toBe(true);
    }
    expect(rolloutQueries.reads - readsBefore).toBe(0);

    const bobOnC = await socketOn(urlC, 'bob');
    const changedAt = Date.now();
    expect((await put(a, 'ops', `/api/admin/rollout/users/${t.f.users.bob.id}`, { live: 'out' })).statusCode).toBe(200);
    const told = await bobOnC.waitFor((e) => e.event === 'live:off', "bob's live:off on node C", 5000);
    expect(told.at - changedAt).toBeLessThan(5000);
    await expect(openSocket(urlC, { token: tokens.bob! })).rejects.toThrow(CONNECT_ERRORS.LIVE_OFF);
    expect((await c.inject({ method: 'GET', url: '/api/config', headers: auth('bob') })).json().features.websocket).toBe(false);
    await put(a, 'ops', `/api/admin/rollout/users/${t.f.users.bob.id}`, { live: 'inherit' });
  });

  it('catches up with a change whose broadcast it missed, on its next version check', async () => {
    const { bob } = t.f.users;
    // The test before let bob back in through node A.
    const bobOnC = await liveSocketOn(urlC, 'bob');
    const checks = rolloutQueries.checks;
    // Written straight to PostgreSQL: no `rollout:changed` reaches any node (as if node C's subscriber was down).
    await setUserLiveOverride(t.f.db, { id: bob.id, username: 'test' }, bob.id, false);
    const told = await bobOnC.waitFor((e) => e.event === 'live:off', "bob's live:off on node C", 10_000);
    expect(told.payload).toEqual({ reason: 'rollout' });
    expect(rolloutQueries.checks).toBeGreaterThan(checks);
    await expect(openSocket(urlC, { token: tokens.bob! })).rejects.toThrow(CONNECT_ERRORS.LIVE_OFF);
    // The gate runs after the connection limits: a refused handshake gives its place in bob's socket count back.
    const redis = new Redis(process.env.TEST_REDIS_URL!);
    try {
      await eventually(
        "no node-c place left in bob's socket count",
        async () => ((await redis.zrange(`${t.prefix}:sockets:${bob.id}`, 0, -1)).some((m) => m.startsWith('node-c|')) ? undefined : true),
        5000,
      );
    } finally {
      redis.disconnect();
    }
    // Back through the API, which tells every node (node C hears it through Redis a moment later).
    await put(a, 'ops', `/api/admin/rollout/users/${bob.id}`, { live: 'inherit' });
    const back = await liveSocketOn(urlC, 'bob');
    expect(back.socket.connected).toBe(true);
  });
});

describe("the admin view's counts", () => {
  it('asks the cluster for its sockets once per cache window, however often the panel asks', async () => {
    const fetches = jest.spyOn(a.io, 'fetchSockets');
    try {
      // Past any earlier answer's window.
      await eventually(
        'a fresh fetch',
        async () => {
          await state('ops');
          return fetches.mock.calls.length > 0 ? true : undefined;
        },
        15_000,
      );
      const after = fetches.mock.calls.length;
      await Promise.all([state('ops'), state('ops'), state('acme-admin')]);
      expect(fetches.mock.calls.length).toBe(after);
    } finally {
      fetches.mockRestore();
    }
  });
});
