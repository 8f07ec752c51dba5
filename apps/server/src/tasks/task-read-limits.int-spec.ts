import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { createDb } from '@taskflow/store';
import { eventually, testEnv } from '@taskflow/testing';
import { buildApp } from '../app';
import { loadServerConfig } from '../config';
import { startTestApp, TEST_JWT_SECRET, TEST_WEBHOOK_SECRET, type TestApp } from '../testing/test-app';

/** Task reads are bounded per user: a rate per minute across nodes, and how many may run at once on a node. */
jest.setTimeout(60_000);

const LIMITS = { TASK_LIST_PER_MINUTE: '5', TASK_READ_PER_MINUTE: '6' };
let t: TestApp;
let second: FastifyInstance;
let taskId: string;

beforeAll(async () => {
  t = await startTestApp(LIMITS);
  // A second node of the same cluster: a user's budget is theirs whichever node they reach.
  const config = loadServerConfig({
    DATABASE_URL: t.f.url,
    REDIS_URL: testEnv('TEST_REDIS_URL'),
    JWT_SECRET: TEST_JWT_SECRET,
    GITHUB_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    QUEUE_PREFIX: t.prefix,
    NODE_ID: 'test-node-2',
    FEATURE_WEBSOCKET_ENABLED: 'false',
    ...LIMITS,
  });
  second = await buildApp({ config, db: t.f.db, logger: pino({ level: 'silent' }), queue: t.queue });
  taskId = (await t.f.newTask(t.f.users.bob)).task.id;
});
afterAll(async () => {
  await second.close();
  await t.close();
});

type Who = 'alice' | 'bob';
const auth = (user: Who) => ({ authorization: `Bearer ${t.app.signSession({ ...t.f.users[user] })}` });
const get = (url: string, user: Who, app: FastifyInstance = t.app) => app.inject({ method: 'GET', url, headers: auth(user) });

it('limits GET /api/tasks (searches included) per user, across nodes, leaving others alone', async () => {
  const urls = ['/api/tasks', '/api/tasks?q=index', '/api/tasks?status=received&q=x', '/api/tasks?scope=mine', '/api/tasks?q=y'];
  const codes: number[] = [];
  for (const [i, url] of urls.entries()) codes.push((await get(url, 'bob', i % 2 ? second : t.app)).statusCode);
  const refused = await get('/api/tasks?q=more', 'bob', second);
  expect([...codes, refused.statusCode]).toEqual([200, 200, 200, 200, 200, 429]);
  expect(refused.json()).toMatchObject({
    error: 'RATE_LIMITED',
    message: expect.stringMatching(/^Too many task searches; try again in \d+ s$/),
  });
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  expect((await get('/api/tasks', 'alice')).statusCode).toBe(200);
});

it('limits GET /api/tasks/:id and its timeline pages per user', async () => {
  const codes: number[] = [];
  for (let i = 0; i < 7; i++) codes.push((await get(i % 2 ? `/api/tasks/${taskId}/events` : `/api/tasks/${taskId}`, 'alice')).statusCode);
  expect(codes).toEqual([200, 200, 200, 200, 200, 200, 429]);
  expect((await get(`/api/tasks/${taskId}`, 'bob')).statusCode).toBe(200);
});

describe('reads running at once', () => {
  let busy: TestApp;
  beforeAll(async () => {
    busy = await startTestApp({ TASK_READS_IN_FLIGHT_PER_USER: '2', TASK_LIST_PER_MINUTE: '1000' });
  });
  afterAll(() => busy.close());

  it('refuses a user’s reads beyond the cap while theirs run, frees the slots after, and never refuses others', async () => {
    const headers = { authorization: `Bearer ${busy.app.signSession({ ...busy.f.users.bob })}` };
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => busy.app.inject({ method: 'GET', url: `/api/tasks?q=search${i}`, headers })),
    );
    const codes = burst.map((r) => r.statusCode);
    const refused = burst.filter((r) => r.statusCode === 429);
    expect(codes.filter((c) => c === 200).length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.json().message).toMatch(/^Too many task reads at once/);
    // Every slot was given back: sequential reads all pass.
    for (let i = 0; i < 5; i++) expect((await busy.app.inject({ method: 'GET', url: '/api/tasks', headers })).statusCode).toBe(200);
    const alice = { authorization: `Bearer ${busy.app.signSession({ ...busy.f.users.alice })}` };
    expect((await busy.app.inject({ method: 'GET', url: '/api/tasks', headers: alice })).statusCode).toBe(200);
  });
});

describe('reads the client gave up on', () => {
  let busy: TestApp;
  let url: string;
  beforeAll(async () => {
    busy = await startTestApp({ TASK_READS_IN_FLIGHT_PER_USER: '2', TASK_LIST_PER_MINUTE: '1000' });
    url = await busy.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => busy.close());

  it('gives the slot of an aborted read back, so the user can read again', async () => {
    const headers = { authorization: `Bearer ${busy.app.signSession({ ...busy.f.users.bob })}` };
    const watcher = createDb(busy.f.url, { max: 2 });
    // A lock on the tasks table keeps the searches running (a lock rather than a sleep: it holds exactly as long as needed).
    let unlock!: () => void;
    const unlocked = new Promise<void>((r) => (unlock = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const lockWaiters = async () => {
      const { rows } = await sql<{ n: string }>`select count(*) as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(watcher);
      return Number(rows[0]!.n);
    };
    const holder = watcher.transaction().execute(async (trx) => {
      await sql`lock table tasks in access exclusive mode`.execute(trx);
      locked();
      await unlocked;
    });
    try {
      await isLocked;
      const aborts = [new AbortController(), new AbortController()];
      const gaveUp = aborts.map((a, i) => fetch(`${url}/api/tasks?q=slow${i}`, { headers, signal: a.signal }).catch((err: Error) => err));
      // Each search waits on the lock with its page and its counts.
      await eventually('both searches to wait on the lock', async () => ((await lockWaiters()) >= 4 ? true : undefined));
      expect((await fetch(`${url}/api/tasks?q=probe`, { headers })).status).toBe(429);
      for (const a of aborts) a.abort();
      expect((await Promise.all(gaveUp)).map((r) => (r as Error).name)).toEqual(['AbortError', 'AbortError']);
      unlock();
      await holder;
      // The aborted searches ran to their end (nothing waits on the lock any more) before the user reads again.
      await eventually('the aborted searches to finish', async () => ((await lockWaiters()) === 0 ? true : undefined));
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) codes.push((await fetch(`${url}/api/tasks`, { headers })).status);
      expect(codes).toEqual([200, 200, 200]);
    } finally {
      unlock();
      await holder.catch(() => undefined);
      await watcher.destroy();
    }
  });
});
