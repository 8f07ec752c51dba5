import { randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER } from '@taskflow/events';
import { deleteExpiredIdempotencyKeys, getTask, transition, type PublicUserRow } from '@taskflow/store';
import { startTestApp, type TestApp } from '../testing/test-app';

/**
 * Task actions with an Idempotency-Key (issue 21 #6): what a page sends from its offline queue. Each key is applied
 * at most once per user and a repeat is answered with the first answer, against the real database and queue.
 */
let t: TestApp;
let app: FastifyInstance;

beforeAll(async () => {
  t = await startTestApp();
  app = t.app;
  await app.ready();
});
afterAll(async () => {
  await t.close();
});

type User = Pick<PublicUserRow, 'id' | 'orgId' | 'username' | 'name'>;
const alice = () => t.f.users.alice;
const bob = () => t.f.users.bob;

function as(user: User, method: 'POST' | 'DELETE', url: string, key: string | undefined, payload?: object) {
  const token = app.signSession({ id: user.id, orgId: user.orgId, username: user.username, name: user.name });
  const opts: InjectOptions = {
    method,
    url,
    headers: { authorization: `Bearer ${token}`, ...(key === undefined ? {} : { [IDEMPOTENCY_KEY_HEADER]: key }) },
  };
  if (payload) opts.payload = payload;
  return app.inject(opts);
}

/** A task of Alice's waiting for the answer to one question, as the worker leaves it. */
async function awaitingAnswers(): Promise<string> {
  const { task } = await t.f.newTask(alice());
  await transition(t.f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
  await transition(t.f.db, {
    taskId: task.id,
    from: 'analyzing',
    to: 'needs_clarification',
    event: 'clarification_needed',
    patch: { clarificationQuestions: ['Which page?'] },
  });
  return task.id;
}

async function eventCount(taskId: string, eventType?: string): Promise<number> {
  let q = t.f.db
    .selectFrom('taskEvents')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('taskId', '=', taskId);
  if (eventType) q = q.where('eventType', '=', eventType as 'clarified');
  return Number((await q.executeTakeFirstOrThrow()).n);
}

async function stored(taskId: string) {
  return (await getTask(t.f.db, 'system', taskId))!.task;
}

const answers = { answers: ['The checkout page'] };

describe('task actions with an Idempotency-Key', () => {
  it('applies a clarification once, and answers its replay with the first answer without applying it again', async () => {
    const id = await awaitingAnswers();
    const key = randomUUID();
    const first = await as(alice(), 'POST', `/api/tasks/${id}/clarify`, key, answers);
    expect(first.statusCode).toBe(202);
    expect(first.headers[IDEMPOTENT_REPLAYED_HEADER]).toBeUndefined();
    expect(first.json().task).toMatchObject({ id, status: 'analyzing', clarificationAnswers: ['The checkout page'] });
    const after = { events: await eventCount(id), seq: (await stored(id)).seq };
    expect(await eventCount(id, 'clarified')).toBe(1);

    // The worker moves on meanwhile: the replay still gets the first answer, not the task as it is now, nor a 409.
    await transition(t.f.db, {
      taskId: id,
      from: 'analyzing',
      to: 'needs_clarification',
      event: 'clarification_needed',
      patch: { clarificationQuestions: ['Which browser?'] },
    });
    const replay = await as(alice(), 'POST', `/api/tasks/${id}/clarify`, key, answers);
    expect(replay.statusCode).toBe(202);
    expect(replay.headers[IDEMPOTENT_REPLAYED_HEADER]).toBe('true');
    expect(replay.json()).toEqual(first.json());
    expect(await eventCount(id, 'clarified')).toBe(1);
    expect(await eventCount(id)).toBe(after.events + 1); // the worker's event only
    expect((await stored(id)).seq).toBe(after.seq + 1);
  });

  it('replays the stored answer as it was, even when the route’s response schema changed since (a deploy within the TTL)', async () => {
    const id = await awaitingAnswers();
    const key = randomUUID();
    const first = await as(alice(), 'POST', `/api/tasks/${id}/clarify`, key, answers);
    expect(first.statusCode).toBe(202);
    // As an older release stored it: a field today's TaskResponse does not have, and one it requires missing.
    const older = { task: { id, status: 'analyzing', legacyField: 1 } };
    await t.f.db
      .updateTable('idempotencyKeys')
      .set({ response: JSON.stringify(older) })
      .where('userId', '=', alice().id)
      .where('key', '=', key)
      .execute();
    const replay = await as(alice(), 'POST', `/api/tasks/${id}/clarify`, key, answers);
    expect(replay.statusCode).toBe(202);
    expect(replay.headers[IDEMPOTENT_REPLAYED_HEADER]).toBe('true');
    expect(replay.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(replay.json()).toEqual(older);
  });

  it('applies two requests with the same key sent side by side once, and answers both alike', async () => {
    const id = await awaitingAnswers();
    const key = randomUUID();
    const both = await Promise.all([0, 1].map(() => as(alice(), 'POST', `/api/tasks/${id}/clarify`, key, answers)));
    expect(both.map((r) => r.statusCode)).toEqual([202, 202]);
    expect(both[0]!.json()).toEqual(both[1]!.json());
    expect(await eventCount(id, 'clarified')).toBe(1);
  });

  it('refuses the same key with another body (or another action or task) with 422, and applies nothing', async () => {
    const id = await awaitingAnswers();
    const other = await awaitingAnswers();
    const key = randomUUID();
    expect((await as(alice(), 'POST', `/api/tasks/${id}/clarify`, key, answers)).statusCode).toBe(202);
    const events = await eventCount(other);
    for (const [url, body] of [
      [`/api/tasks/${id}/clarify`, { answers: ['Another page'] }],
      [`/api/tasks/${id}/cancel`, undefined],
      [`/api/tasks/${other}/clarify`, answers],
    ] as const) {
      const res = await as(alice(), 'POST', url, key, body);
      expect(res.statusCode).toBe(422);
      expect(res.json()).toEqual({ error: 'IDEMPOTENCY_KEY_REUSED', message: expect.stringContaining('another request') });
    }
    expect(await eventCount(id, 'clarified')).toBe(1);
    expect((await stored(id)).status).toBe('analyzing');
    expect(await eventCount(other)).toBe(events);
    expect((await stored(other)).status).toBe('needs_clarification');
  });

  it('keeps keys per user: the same key of another user is a key of their own', async () => {
    const key = randomUUID();
    const id = await awaitingAnswers();
    expect((await as(alice(), 'POST', `/api/tasks/${id}/clarify`, key, answers)).statusCode).toBe(202);
    const { task } = await t.f.newTask(bob());
    const res = await as(bob(), 'POST', `/api/tasks/${task.id}/cancel`, key);
    expect(res.statusCode).toBe(202);
    expect(res.headers[IDEMPOTENT_REPLAYED_HEADER]).toBeUndefined();
    expect((await stored(task.id)).status).toBe('cancelled');
  });

  it.each([
    ['too short', 'abc'],
    ['too long', 'k'.repeat(129)],
    ['a space in it', 'has a space 123'],
    ['a comma (the header sent twice)', `${randomUUID()}, ${randomUUID()}`],
    ['empty', ''],
  ])('answers 400 for a key %s, and applies nothing', async (_case, key) => {
    const id = await awaitingAnswers();
    const res = await as(alice(), 'POST', `/api/tasks/${id}/clarify`, key, answers);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      error: 'VALIDATION_FAILED',
      message: expect.stringContaining('headers'),
      details: [{ path: `/${IDEMPOTENCY_KEY_HEADER}`, message: expect.any(String) }],
    });
    expect((await stored(id)).status).toBe('needs_clarification');
  });

  it('says where the task went when it moved on while the page was offline, and who cancelled it', async () => {
    const moved = await awaitingAnswers();
    await transition(t.f.db, { taskId: moved, from: 'needs_clarification', to: 'analyzing', event: 'clarified', actorId: alice().id });
    const res = await as(alice(), 'POST', `/api/tasks/${moved}/clarify`, randomUUID(), answers);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      error: 'NOT_AWAITING_CLARIFICATION',
      message: 'The task is analyzing, not waiting for clarification',
      conflict: { status: 'analyzing' },
    });

    const cancelled = await awaitingAnswers();
    // Cancelled by someone else (an admin's tool, say): the store records who.
    await transition(t.f.db, { taskId: cancelled, from: 'needs_clarification', to: 'cancelled', event: 'cancelled', actorId: bob().id });
    const events = await eventCount(cancelled);
    const lateKeys: string[] = [];
    for (const [action, body] of [
      ['clarify', answers],
      ['cancel', undefined],
    ] as const) {
      lateKeys.push(randomUUID());
      const late = await as(alice(), 'POST', `/api/tasks/${cancelled}/${action}`, lateKeys.at(-1), body);
      expect(late.statusCode).toBe(409);
      expect(late.json()).toMatchObject({
        message: expect.stringContaining(`cancelled by ${bob().name}`),
        conflict: { status: 'cancelled', cancelledBy: { id: bob().id, name: bob().name } },
      });
    }
    expect(await eventCount(cancelled)).toBe(events);
    // A refused action stores no answer: it rolled back with the action (the page drops a conflicting action anyway).
    expect(await t.f.db.selectFrom('idempotencyKeys').select('key').where('key', 'in', lateKeys).execute()).toEqual([]);
  });

  it('applies retry and cancel once per key', async () => {
    const id = await awaitingAnswers();
    await transition(t.f.db, {
      taskId: id,
      from: 'needs_clarification',
      to: 'failed',
      event: 'failed',
      patch: { errorMessage: 'LLM down' },
    });
    const key = randomUUID();
    const first = await as(alice(), 'POST', `/api/tasks/${id}/retry`, key);
    const again = await as(alice(), 'POST', `/api/tasks/${id}/retry`, key);
    expect([first.statusCode, again.statusCode]).toEqual([202, 202]);
    expect(again.json()).toEqual(first.json());
    expect(await eventCount(id, 'retried')).toBe(1);
    expect((await stored(id)).retryCount).toBe(1);

    const cancelKey = randomUUID();
    const cancel = await as(alice(), 'POST', `/api/tasks/${id}/cancel`, cancelKey);
    const cancelAgain = await as(alice(), 'POST', `/api/tasks/${id}/cancel`, cancelKey);
    // Without the key the second cancel would be a 409: the task is cancelled already.
    expect([cancel.statusCode, cancelAgain.statusCode]).toEqual([202, 202]);
    expect(cancelAgain.headers[IDEMPOTENT_REPLAYED_HEADER]).toBe('true');
    expect(await eventCount(id, 'cancelled')).toBe(1);
  });

  it('applies follow and unfollow once per key; an expired key is free again and swept', async () => {
    const { task } = await t.f.newTask(alice());
    const followers = async () =>
      (await t.f.db.selectFrom('taskFollows').select('userId').where('taskId', '=', task.id).execute()).map((r) => r.userId);
    const key = randomUUID();
    const follow = await as(bob(), 'POST', `/api/tasks/${task.id}/follow`, key);
    expect(follow.statusCode).toBe(200);
    expect(follow.json()).toEqual({ following: true });
    const unfollow = await as(bob(), 'DELETE', `/api/tasks/${task.id}/follow`, randomUUID());
    expect(unfollow.json()).toEqual({ following: false });
    // The follow's replay (a lost answer, sent again) does not follow again after the later unfollow.
    const replay = await as(bob(), 'POST', `/api/tasks/${task.id}/follow`, key);
    expect(replay.statusCode).toBe(200);
    expect(replay.headers[IDEMPOTENT_REPLAYED_HEADER]).toBe('true');
    expect(await followers()).toEqual([]);
    expect((await as(bob(), 'DELETE', `/api/tasks/${task.id}/follow`, key)).statusCode).toBe(422);

    // Past its expiry the key counts as unused: applied anew, its row taken over.
    await t.f.db
      .updateTable('idempotencyKeys')
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where('key', '=', key)
      .execute();
    const later = await as(bob(), 'POST', `/api/tasks/${task.id}/follow`, key);
    expect(later.headers[IDEMPOTENT_REPLAYED_HEADER]).toBeUndefined();
    expect(await followers()).toEqual([bob().id]);
    await t.f.db
      .updateTable('idempotencyKeys')
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where('userId', '=', bob().id)
      .execute();
    expect(await deleteExpiredIdempotencyKeys(t.f.db)).toBeGreaterThanOrEqual(2);
    expect(await t.f.db.selectFrom('idempotencyKeys').select('key').where('userId', '=', bob().id).execute()).toEqual([]);
  });

  it('still acts without a key, as before', async () => {
    const id = await awaitingAnswers();
    const res = await as(alice(), 'POST', `/api/tasks/${id}/clarify`, undefined, answers);
    expect(res.statusCode).toBe(202);
    expect(await eventCount(id, 'clarified')).toBe(1);
  });
});
