import { sql } from 'kysely';
import { CONNECT_ERRORS } from '@taskflow/events';
import { createDb, transition, type Db } from '@taskflow/store';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { eventually, login, openSocket, TaskMirror, type TestSocket } from '@taskflow/testing';
import { startTestApp, type TestApp } from '../../testing/test-app';

/**
 * PostgreSQL out of connections (every connection of the node's pool busy for longer than it waits for one, as under
 * a load spike or a slow migration): a join is answered UNAVAILABLE, a code the contract says to retry, not INTERNAL,
 * and nothing is logged as an error. A client that reconnected meanwhile keeps re-joining with backoff and converges
 * once connections free up, instead of showing what it had before the disconnect until the next event.
 */
jest.setTimeout(120_000);

// The fixture's pool: 25 connections, each waited for 5 s (libs/store/src/testing).
const POOL_SIZE = 25;

let t: TestApp;
let url: string;
let token: string;
let watcher: Db;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  t = await startTestApp();
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  token = await login(url, 'alice', FIXTURE_PASSWORD);
  watcher = createDb(t.f.url, { max: 2 });
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.close();
  await watcher?.destroy();
  await t?.close();
});

/**
 * Holds every connection of the app's pool: each waits for an advisory lock the watcher holds, until the returned
 * release is called (a lock rather than a sleep: setting up 25 connections on a busy machine takes seconds).
 */
async function exhaustPool(): Promise<() => Promise<void>> {
  let unlock!: () => void;
  const unlocked = new Promise<void>((r) => (unlock = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const holder = watcher.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(4242)`.execute(conn);
    locked();
    await unlocked;
    await sql`select pg_advisory_unlock(4242)`.execute(conn);
  });
  await isLocked;
  const waiting = Promise.all(Array.from({ length: POOL_SIZE }, () => sql`select pg_advisory_xact_lock_shared(4242)`.execute(t.f.db)));
  await eventually('every pooled connection to wait for the lock', async () => {
    const { rows } = await sql<{ n: string }>`select count(*) as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`.execute(watcher);
    return Number(rows[0]!.n) >= POOL_SIZE ? true : undefined;
  });
  return async () => {
    unlock();
    await holder;
    await waiting;
  };
}

it('answers a join UNAVAILABLE while the pool is exhausted, and a reconnected client converges by retrying', async () => {
  const { task } = await t.f.newTask(t.f.users.alice);
  const probe = await openSocket(url, { token });
  const client = await openSocket(url, { token, reconnection: true });
  sockets.push(probe, client);
  const mirror = new TaskMirror(client, task.id);
  expect((await mirror.join()).ok).toBe(true);
  await eventually('the snapshot', async () => (mirror.last === 1 ? true : undefined));

  // The client drops; a change is committed and broadcast while it is away.
  client.socket.disconnect();
  await transition(t.f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });

  const release = await exhaustPool();
  client.socket.connect();
  const ack = await probe.request('task:join', { taskId: task.id }, 15_000);
  expect(ack).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
  await release();

  await eventually('the reconnected client to catch up to seq 2', async () => (mirror.last === 2 ? true : undefined), 60_000);
  expect(mirror.applied).toEqual([1, 2]);
  expect(mirror.status).toBe('analyzing');
  expect(mirror.retries).toBeGreaterThan(0);
  expect(t.logs().filter((l) => l.level >= 50)).toEqual([]);
  expect(t.logs().some((l) => l.msg === 'socket handler: database unavailable')).toBe(true);
});

it('answers an unexpected failure INTERNAL with a stable sentence and a correlation id; the details go to the log only', async () => {
  const { task } = await t.f.newTask(t.f.users.alice);
  const client = await openSocket(url, { token });
  sockets.push(client);
  // A bug's worth of failure: the query meets a schema it does not expect.
  await sql`alter table task_events rename to task_events_moved`.execute(t.f.db);
  let ack;
  try {
    ack = await client.request('task:join', { taskId: task.id });
  } finally {
    await sql`alter table task_events_moved rename to task_events`.execute(t.f.db);
  }
  expect(ack).toEqual({
    ok: false,
    error: { code: 'INTERNAL', message: 'Something went wrong on our side', correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
  });
  const logged = t.logs().find((l) => l.correlationId === ack.error!.correlationId);
  expect(logged).toMatchObject({ level: 50, msg: 'socket handler failed' });
  expect(JSON.stringify(logged)).toContain('task_events');
  expect(JSON.stringify(ack)).not.toContain('task_events');
});

it('refuses a handshake it cannot check with UNAVAILABLE, and a client connects again by itself once the database is back', async () => {
  const client = await openSocket(url, { token: t.app.signSession({ ...t.f.users.bob }), reconnection: true });
  sockets.push(client);
  const checkedAt = Date.now();
  client.socket.disconnect();
  const refusals: Array<Error & { data?: unknown }> = [];
  client.socket.on('connect_error', (err) => refusals.push(err));
  const release = await exhaustPool();
  try {
    // The node's copy of bob's token standing (TOKEN_VERSION_CACHE_MS, 5 s) has run out: the handshake reads the database.
    await eventually('the cached standing to expire', async () => (Date.now() - checkedAt > 5200 ? true : undefined), 15_000);
    client.socket.connect();
    await eventually('the handshake to be refused', async () => (refusals.length > 0 ? true : undefined), 30_000);
  } finally {
    await release();
  }
  expect(refusals[0]).toMatchObject({ message: CONNECT_ERRORS.UNAVAILABLE, data: { code: 'UNAVAILABLE' } });
  // socket.io-client alone would stay down after a middleware refusal.
  await eventually('the client to connect again', async () => (client.socket.connected ? true : undefined), 30_000);
  expect(client.connects).toHaveLength(2);
});
