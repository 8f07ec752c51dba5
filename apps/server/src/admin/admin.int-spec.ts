import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { CSRF_HEADER, QUEUES, rooms, SESSION_COOKIE, type AdminOverview } from '@taskflow/events';
import { PipelineQueue } from '@taskflow/queue';
import { createUser } from '@taskflow/store';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { eventually, openSocket, type TestSocket } from '@taskflow/testing';
import { buildApp } from '../app';
import { loadServerConfig } from '../config';
import { startTestApp, TEST_JWT_SECRET, TEST_WEBHOOK_SECRET, type TestApp, listenOnLoopback } from '../testing/test-app';

/**
 * The operations view on two server nodes sharing PostgreSQL and Redis: each publishes its
 * snapshot, either answers for both, to an operator; an org's admin sees and replays only the
 * org's parked jobs; 404 to anyone else, as an unknown route.
 */
jest.setTimeout(60_000);

const INTERVAL_MS = '300';
let t: TestApp;
let a: FastifyInstance;
let b: FastifyInstance;
let bQueue: PipelineQueue;
let urlA: string;
let urlB: string;
let redis: Redis;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  t = await startTestApp({ NODE_ID: 'node-a', ADMIN_STATS_INTERVAL_MS: INTERVAL_MS });
  a = t.app;
  // The cluster operator (an org's admin sees only the org's jobs: 'admin rights per org' below).
  await createUser(t.f.db, { orgId: t.f.users.alice.orgId, username: 'ops', name: 'Ops', password: FIXTURE_PASSWORD, role: 'operator' });
  // A second node on the same database, Redis and prefix.
  const config = loadServerConfig({
    DATABASE_URL: t.f.url,
    REDIS_URL: process.env.TEST_REDIS_URL,
    JWT_SECRET: TEST_JWT_SECRET,
    GITHUB_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    QUEUE_PREFIX: t.prefix,
    NODE_ID: 'node-b',
    ADMIN_STATS_INTERVAL_MS: INTERVAL_MS,
  });
  const logger = pino({ level: 'silent' });
  bQueue = PipelineQueue.connect(config.REDIS_URL, t.prefix, logger);
  b = await buildApp({ config, db: t.f.db, logger, queue: bQueue });
  urlA = await listenOnLoopback(a);
  urlB = await listenOnLoopback(b);
  redis = new Redis(process.env.TEST_REDIS_URL!, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  redis?.disconnect();
  await b?.close().catch(() => undefined);
  await bQueue?.close();
  await t.close();
});

async function bearer(app: FastifyInstance, username: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: FIXTURE_PASSWORD } });
  return `Bearer ${res.json().token}`;
}

async function cookieSession(app: FastifyInstance, username: string) {
  const res = await app.inject({ method: 'POST', url: '/api/auth/session', payload: { username, password: FIXTURE_PASSWORD } });
  expect(res.statusCode).toBe(200);
  return { cookie: `${SESSION_COOKIE}=${res.cookies.find((c) => c.name === SESSION_COOKIE)!.value}`, csrf: res.json().csrfToken as string };
}

async function overview(app: FastifyInstance, authorization: string): Promise<AdminOverview> {
  const res = await app.inject({ method: 'GET', url: '/api/admin/overview', headers: { authorization } });
  expect(res.statusCode).toBe(200);
  return res.json();
}

async function socketOn(url: string, authorization: string): Promise<TestSocket> {
  const s = await openSocket(url, { token: authorization.slice('Bearer '.length) });
  sockets.push(s);
  return s;
}

describe('the cluster as one admin sees it', () => {
  it('sums both nodes and shows each: sockets, errors by code, commit → delivery lag', async () => {
    const admin = await bearer(a, 'ops');
    const alice = await bearer(a, 'alice');
    const onA = [await socketOn(urlA, alice), await socketOn(urlA, alice)];
    await socketOn(urlB, alice);
    // An error answered on node B only (a malformed task id).
    await onA[0]!.request('dashboard:join', {});
    const onB = sockets[2]!;
    await expect(onB.request('task:join', { taskId: 'not-a-task' })).resolves.toMatchObject({ ok: false });

    // A broadcast committed 600 ms ago, sent from node B through Redis to alice's sockets on node A.
    b.io
      .to(rooms.user(t.f.users.alice.id))
      .emit('dashboard:task_list_updated', { updatedAt: new Date(Date.now() - 600).toISOString() } as never);
    await onA[0]!.waitFor((e) => e.event === 'dashboard:task_list_updated', 'the broadcast on node A');

    // Asked of node B, answered for both.
    const view = await eventually('both nodes with their sockets and the lag', async () => {
      const v = await overview(b, admin);
      const ids = v.nodes.map((n) => n.nodeId);
      const nodeA = v.nodes.find((n) => n.nodeId === 'node-a');
      return ids.includes('node-a') &&
        ids.includes('node-b') &&
        v.cluster?.sockets === 3 &&
        (nodeA?.lag.count ?? 0) >= 1 &&
        v.cluster.errors.INVALID_PAYLOAD
        ? v
        : undefined;
    });
    const byId = Object.fromEntries(view.nodes.map((n) => [n.nodeId, n]));
    expect(byId['node-a']).toMatchObject({ sockets: 2, errors: {} });
    expect(byId['node-b']).toMatchObject({ sockets: 1, errors: { INVALID_PAYLOAD: 1 } });
    expect(view.cluster).toMatchObject({ nodes: 2, sockets: 3, errors: { INVALID_PAYLOAD: 1 } });
    expect(view.cluster!.messagesPerSecond).toBeGreaterThan(0);
    // 600 ms and a little delivery: in the (500, 1000] ms bucket, on both nodes (alice has sockets on each).
    for (const node of [byId['node-a']!, byId['node-b']!]) {
      expect(node.lag.count).toBe(1);
      expect(node.lag.p50Ms).toBeGreaterThan(500);
      expect(node.lag.p50Ms).toBeLessThanOrEqual(1000);
      expect(node.lag.p99Ms).toBeGreaterThanOrEqual(node.lag.p50Ms!);
    }
    expect(view.cluster!.lag.count).toBe(2);
    // Node A answers the same cluster.
    expect((await overview(a, admin)).cluster).toMatchObject({ nodes: 2, sockets: 3 });

    // A socket leaves node A: the next snapshots say so.
    onA[1]!.close();
    await eventually('node A down to one socket', async () => ((await overview(b, admin)).cluster?.sockets === 2 ? true : undefined));
  });

  it('shows queue depths, parked jobs and failed webhooks, and replays a parked job (CSRF required)', async () => {
    const connection = new Redis(process.env.TEST_REDIS_URL!, { maxRetriesPerRequest: null });
    const hooks = new Queue(QUEUES.webhooks, { connection, prefix: t.prefix });
    // Two deliveries whose only attempt fails: parked.
    for (const id of ['d1', 'd2']) await hooks.add('apply-webhook', { deliveryId: id }, { jobId: id, attempts: 1 });
    const workerConnection = connection.duplicate();
    const failing = new Worker(QUEUES.webhooks, async () => Promise.reject(new Error('GitHub said no')), {
      connection: workerConnection,
      prefix: t.prefix,
    });
    await eventually('both parked', async () => ((await hooks.getFailedCount()) === 2 ? true : undefined));
    await failing.close();
    workerConnection.disconnect();

    const { cookie, csrf } = await cookieSession(b, 'ops');
    const get = async () => (await b.inject({ method: 'GET', url: '/api/admin/overview', headers: { cookie } })).json<AdminOverview>();
    const before = await get();
    expect(before.queues![QUEUES.webhooks]).toMatchObject({ failed: 2, waiting: 0 });
    expect(before.webhooks.failed).toBe(2);
    expect(before.parkedTotal).toBe(2);
    expect(before.parked.map((j) => j.id).sort()).toEqual(['d1', 'd2']);
    expect(before.parked[0]).toMatchObject({ queue: QUEUES.webhooks, failedReason: 'GitHub said no', attemptsMade: 1 });
    const listed = await b.inject({ method: 'GET', url: '/api/admin/jobs/failed', headers: { cookie } });
    expect(
      listed
        .json()
        .jobs.map((j: { id: string }) => j.id)
        .sort(),
    ).toEqual(['d1', 'd2']);

    const retry = (headers: Record<string, string>, payload: object) =>
      b.inject({ method: 'POST', url: '/api/admin/jobs/retry', headers: { cookie, ...headers }, payload });
    // Without the CSRF header: refused, nothing replayed.
    const noCsrf = await retry({}, { queue: QUEUES.webhooks, id: 'd1' });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().error).toBe('CSRF_FAILED');
    expect(await (await hooks.getJob('d1'))!.getState()).toBe('failed');
    // Bad input: a clear 400, nothing replayed.
    const bad = await retry({ [CSRF_HEADER]: csrf }, { queue: 'no-such-queue' });
    expect(bad.statusCode).toBe(400);
    expect(await hooks.getFailedCount()).toBe(2);
    const unknown = await retry({ [CSRF_HEADER]: csrf }, { queue: QUEUES.webhooks, id: 'nope' });
    expect(unknown.statusCode).toBe(404);

    // One job, then the rest of the queue.
    const one = await retry({ [CSRF_HEADER]: csrf }, { queue: QUEUES.webhooks, id: 'd1' });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({ replayed: [{ queue: QUEUES.webhooks, id: 'd1' }] });
    expect(await (await hooks.getJob('d1'))!.getState()).toBe('waiting');
    expect((await hooks.getJob('d1'))!.attemptsMade).toBe(0);
    expect((await get()).parked.map((j) => j.id)).toEqual(['d2']);
    const rest = await retry({ [CSRF_HEADER]: csrf }, { queue: QUEUES.webhooks });
    expect(rest.json()).toEqual({ replayed: [{ queue: QUEUES.webhooks, id: 'd2' }] });
    const after = await get();
    expect(after.queues![QUEUES.webhooks]).toMatchObject({ failed: 0, waiting: 2 });
    expect(after.parkedTotal).toBe(0);
    await hooks.obliterate({ force: true });
    await hooks.close();
    connection.disconnect();
  });
});

describe('to anyone but an admin, the operations view does not exist', () => {
  const ROUTES = [
    ['GET', '/api/admin/overview'],
    ['GET', '/api/admin/jobs/failed'],
    ['POST', '/api/admin/jobs/retry'],
  ] as const;

  it.each(ROUTES)(
    '%s %s answers 404 as an unknown route: no credentials, a member by token or cookie (with CSRF), a bad body',
    async (method, url) => {
      const notFound = { error: 'NOT_FOUND', message: `No route for ${method} ${url}` };
      const alice = await bearer(a, 'alice');
      const session = await cookieSession(a, 'alice');
      const attempts: Array<Record<string, string>> = [
        {},
        { authorization: alice },
        { authorization: 'Bearer not-a-token' },
        { cookie: session.cookie, [CSRF_HEADER]: session.csrf },
        { cookie: `${SESSION_COOKIE}=forged` },
      ];
      for (const headers of attempts) {
        for (const payload of [{ queue: QUEUES.webhooks }, { queue: 'nope', extra: 1 }]) {
          const res = await a.inject({ method, url, headers, ...(method === 'POST' ? { payload } : {}) });
          expect({ headers: Object.keys(headers), status: res.statusCode, body: res.json() }).toEqual({
            headers: Object.keys(headers),
            status: 404,
            body: notFound,
          });
        }
      }
      // The control: the same request as an admin is answered.
      const admin = await bearer(a, 'ops');
      const res = await a.inject({
        method,
        url,
        headers: { authorization: admin },
        ...(method === 'POST' ? { payload: { queue: QUEUES.analysis } } : {}),
      });
      expect(res.statusCode).toBe(200);
    },
  );

  it('answers 404 once an admin is demoted, at once', async () => {
    const admin = await bearer(a, 'ops');
    const res = await a.inject({ method: 'GET', url: '/api/admin/overview', headers: { authorization: admin } });
    expect(res.statusCode).toBe(200);
    await t.f.db.updateTable('users').set({ role: 'member' }).where('username', '=', 'ops').execute();
    try {
      expect((await a.inject({ method: 'GET', url: '/api/admin/overview', headers: { authorization: admin } })).statusCode).toBe(404);
    } finally {
      await t.f.db.updateTable('users').set({ role: 'operator' }).where('username', '=', 'ops').execute();
    }
  });
});

describe('admin rights per org', () => {
  it("shows an org's admin only the org's parked jobs, replays only those (404 for another org's), and an operator all", async () => {
    const { alice, carol } = t.f.users;
    for (const [username, orgId] of [
      ['acme-admin', alice.orgId],
      ['globex-admin', carol.orgId],
    ] as const)
      await createUser(t.f.db, { orgId, username, name: username, password: FIXTURE_PASSWORD, role: 'admin' });
    const acmeTask = (await t.f.newTask(alice)).task.id;
    const globexTask = (await t.f.newTask(carol, { repo: 'globex/portal' })).task.id;

    // Parked for real: an analysis job of each org's task and a webhook delivery, each failing its only attempt.
    const connection = new Redis(process.env.TEST_REDIS_URL!, { maxRetriesPerRequest: null });
    const analysis = new Queue(QUEUES.analysis, { connection, prefix: t.prefix });
    const hooks = new Queue(QUEUES.webhooks, { connection, prefix: t.prefix });
    await analysis.add('analyze', { taskId: acmeTask }, { jobId: 'acme-job', attempts: 1 });
    await analysis.add('analyze', { taskId: globexTask }, { jobId: 'globex-job', attempts: 1 });
    await hooks.add('apply-webhook', { deliveryId: 'hook-job' }, { jobId: 'hook-job', attempts: 1 });
    const workerConnection = connection.duplicate();
    const failing = [QUEUES.analysis, QUEUES.webhooks].map(
      (q) =>
        new Worker(q, async () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:5432')), {
          connection: workerConnection,
          prefix: t.prefix,
        }),
    );
    await eventually('all three parked', async () =>
      (await analysis.getFailedCount()) === 2 && (await hooks.getFailedCount()) === 1 ? true : undefined,
    );
    await Promise.all(failing.map((w) => w.close()));
    workerConnection.disconnect();

    const ids = (jobs: Array<{ id: string }>) => jobs.map((j) => j.id).sort();
    const asAcme = await bearer(a, 'acme-admin');
    const acmeView = await overview(a, asAcme);
    expect(acmeView).toMatchObject({ scope: 'org', cluster: null, nodes: [], queues: null, parkedTotal: 1 });
    expect(ids(acmeView.parked)).toEqual(['acme-job']);
    const failed = await a.inject({ method: 'GET', url: '/api/admin/jobs/failed', headers: { authorization: asAcme } });
    expect(ids(failed.json().jobs)).toEqual(['acme-job']);
    // The raw failure text is internal (hosts, queries, provider errors): an org's admin gets a reference to quote.
    const orgReason = `The job failed; the cluster operator has the details under reference ${QUEUES.analysis}/acme-job`;
    expect([acmeView.parked[0]!.failedReason, failed.json().jobs[0].failedReason]).toEqual([orgReason, orgReason]);
    expect(ids((await overview(a, await bearer(a, 'globex-admin'))).parked)).toEqual(['globex-job']);

    const retry = (authorization: string, payload: object) =>
      a.inject({ method: 'POST', url: '/api/admin/jobs/retry', headers: { authorization }, payload });
    // Another org's job, or a delivery (no org's): the very answer of a job that does not exist.
    const missing = await retry(asAcme, { queue: QUEUES.analysis, id: 'no-such-job' });
    expect(missing.statusCode).toBe(404);
    for (const [queue, id] of [
      [QUEUES.analysis, 'globex-job'],
      [QUEUES.webhooks, 'hook-job'],
    ] as const) {
      const res = await retry(asAcme, { queue, id });
      expect({ id, status: res.statusCode, body: res.json() }).toEqual({
        id,
        status: 404,
        body: { error: 'NOT_FOUND', message: `No parked job ${id} in ${queue}` },
      });
    }
    expect(await (await analysis.getJob('globex-job'))!.getState()).toBe('failed');
    // "Replay all" of the queue replays the org's job only.
    expect((await retry(asAcme, { queue: QUEUES.analysis })).json()).toEqual({ replayed: [{ queue: QUEUES.analysis, id: 'acme-job' }] });
    expect(await (await analysis.getJob('acme-job'))!.getState()).toBe('waiting');
    expect(await (await analysis.getJob('globex-job'))!.getState()).toBe('failed');
    expect(await (await hooks.getJob('hook-job'))!.getState()).toBe('failed');

    // The operator: the cluster, and every org's jobs.
    const ops = await bearer(a, 'ops');
    const opsView = await overview(a, ops);
    expect(opsView.scope).toBe('cluster');
    expect(opsView.cluster).not.toBeNull();
    expect(ids(opsView.parked)).toEqual(['globex-job', 'hook-job']);
    expect(opsView.parked.map((j) => j.failedReason)).toEqual(['connect ECONNREFUSED 10.0.0.7:5432', 'connect ECONNREFUSED 10.0.0.7:5432']);
    expect((await retry(ops, { queue: QUEUES.analysis, id: 'globex-job' })).json()).toEqual({
      replayed: [{ queue: QUEUES.analysis, id: 'globex-job' }],
    });
    // ...and administers no org: its users are their org admin's (the same policy decides both).
    const disable = (authorization: string, userId: string) =>
      a.inject({ method: 'PUT', url: `/api/admin/users/${userId}/disabled`, headers: { authorization }, payload: { disabled: true } });
    expect((await disable(ops, carol.id)).statusCode).toBe(404);
    expect((await disable(asAcme, carol.id)).statusCode).toBe(404);
    // Nor does an org's admin administer the operator, though a member of the org: 404 like any user not theirs.
    const opsUser = await t.f.db.selectFrom('users').select('id').where('username', '=', 'ops').executeTakeFirstOrThrow();
    expect((await disable(asAcme, opsUser.id)).statusCode).toBe(404);
    const after = await t.f.db.selectFrom('users').select('disabledAt').where('id', '=', opsUser.id).executeTakeFirstOrThrow();
    expect(after.disabledAt).toBeNull();
    await analysis.obliterate({ force: true });
    await hooks.obliterate({ force: true });
    await Promise.all([analysis.close(), hooks.close()]);
    connection.disconnect();
  });
});

describe('a node that stops', () => {
  it('leaves the view at once', async () => {
    const admin = await bearer(a, 'ops');
    expect((await overview(a, admin)).nodes.map((n) => n.nodeId)).toEqual(['node-a', 'node-b']);
    await b.close();
    expect((await overview(a, admin)).nodes.map((n) => n.nodeId)).toEqual(['node-a']);
  });
});
