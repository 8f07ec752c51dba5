import { sql } from 'kysely';
import { openSocket, type TestSocket } from '@taskflow/testing';
import type { TimelineEvent } from '@taskflow/events';
import { startTestApp, type TestApp } from '../testing/test-app';

/** A timeline anyone can grow (comments on a public PR) is sent a page at a time, over HTTP and in `task:join`. */
jest.setTimeout(60_000);

const EVENTS = 250;
const PAGE = 100;
let t: TestApp;
let url: string;
let taskId: string;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  t = await startTestApp({ TIMELINE_PAGE_SIZE: String(PAGE) });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  const { task } = await t.f.newTask(t.f.users.alice);
  taskId = task.id;
  // Comments as webhooks append them (seq 2…EVENTS after `created`), in one statement rather than a transaction each.
  const grow = await t.f.db.transaction().execute(async (trx) => {
    await sql`insert into task_events (task_id, seq, event_type, payload)
      select ${taskId}::uuid, g, 'comment_added', jsonb_build_object('status', 'received', 'author', 'someone', 'body', 'spam ' || g)
      from generate_series(2, ${EVENTS}) g`.execute(trx);
    return trx.updateTable('tasks').set({ seq: EVENTS }).where('id', '=', taskId).returning('seq').executeTakeFirstOrThrow();
  });
  expect(grow.seq).toBe(EVENTS);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await t.close();
});

const auth = (user: 'alice' | 'bob' | 'carol') => ({ authorization: `Bearer ${t.app.signSession({ ...t.f.users[user] })}` });
const get = (url: string, user: 'alice' | 'bob' | 'carol' = 'alice') => t.app.inject({ method: 'GET', url, headers: auth(user) });
const seqs = (events: TimelineEvent[]) => events.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('GET /api/tasks/:id', () => {
  it('carries the latest page of the timeline and a cursor to the one before', async () => {
    const res = await get(`/api/tasks/${taskId}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.seq).toBe(EVENTS);
    expect(seqs(body.events)).toEqual(range(EVENTS - PAGE + 1, EVENTS));
    expect(body).toMatchObject({ hasOlder: true, olderCursor: EVENTS - PAGE + 1 });
  });

  it('pages back through the whole timeline, each event once, in seq order', async () => {
    const first = (await get(`/api/tasks/${taskId}`)).json();
    const all: number[] = seqs(first.events);
    let cursor: number | null = first.olderCursor;
    let pages = 1;
    while (cursor !== null) {
      const res = await get(`/api/tasks/${taskId}/events?before=${cursor}`);
      expect(res.statusCode).toBe(200);
      const page = res.json();
      expect(page.taskId).toBe(taskId);
      expect(page.events.length).toBeLessThanOrEqual(PAGE);
      all.unshift(...seqs(page.events));
      expect(page.hasOlder).toBe(page.olderCursor !== null);
      cursor = page.olderCursor;
      pages += 1;
    }
    expect(pages).toBe(Math.ceil(EVENTS / PAGE));
    expect(all).toEqual(range(1, EVENTS));
  });

  it('takes a smaller limit, reads the latest page without `before`, and ends with hasOlder false', async () => {
    expect(seqs((await get(`/api/tasks/${taskId}/events?limit=3`)).json().events)).toEqual([EVENTS - 2, EVENTS - 1, EVENTS]);
    expect((await get(`/api/tasks/${taskId}/events?before=5&limit=10`)).json()).toMatchObject({
      events: [{ seq: 1 }, { seq: 2 }, { seq: 3 }, { seq: 4 }],
      hasOlder: false,
      olderCursor: null,
    });
  });

  it('refuses bad paging parameters and hides the task from those who may not see it', async () => {
    // Beyond the largest seq (a PostgreSQL integer) too, rather than failing in the query.
    for (const q of ['before=0', 'limit=0', 'limit=201', 'before=abc', 'after=3', 'before=2147483648']) {
      const res = await get(`/api/tasks/${taskId}/events?${q}`);
      expect([q, res.statusCode, res.json().error]).toEqual([q, 400, 'VALIDATION_FAILED']);
    }
    expect((await get(`/api/tasks/${taskId}/events?before=2147483647`)).statusCode).toBe(200);
    // carol is in another org: the same 404 as a task that does not exist.
    expect((await get(`/api/tasks/${taskId}/events`, 'carol')).statusCode).toBe(404);
    expect((await get(`/api/tasks/00000000-0000-4000-8000-000000000000/events`)).statusCode).toBe(404);
  });
});

describe('task:join', () => {
  it('sends the latest page in task:state, with the cursor for older pages', async () => {
    const s = await openSocket(url, { token: t.app.signSession({ ...t.f.users.alice }) });
    sockets.push(s);
    const ack = await s.request('task:join', { taskId });
    expect(ack).toEqual({ ok: true, data: { seq: EVENTS } });
    const state = (await s.waitFor((e) => e.event === 'task:state', 'task:state')).payload as {
      events: TimelineEvent[];
      hasOlder: boolean;
      olderCursor: number | null;
    };
    expect(seqs(state.events)).toEqual(range(EVENTS - PAGE + 1, EVENTS));
    expect(state).toMatchObject({ hasOlder: true, olderCursor: EVENTS - PAGE + 1 });
  });

  it('bounds a resync snapshot the same way', async () => {
    const s = await openSocket(url, { token: t.app.signSession({ ...t.f.users.alice }) });
    sockets.push(s);
    const ack = await s.request('resync_requested', { taskIds: [taskId] });
    const result = ack.ok ? ack.data?.results[0] : undefined;
    expect(result?.kind).toBe('state');
    const state = result?.kind === 'state' ? result.state : undefined;
    expect(seqs(state?.events ?? [])).toEqual(range(EVENTS - PAGE + 1, EVENTS));
    expect(state).toMatchObject({ seq: EVENTS, hasOlder: true, olderCursor: EVENTS - PAGE + 1 });
  });
});
