import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { Redis } from 'ioredis';
import { jobId, LIMITS, MAX_RETRIES, QUEUES, taskBranch, type TaskStatus } from '@taskflow/events';
import { createOrg, createUser, getTask, transition, type PublicUserRow } from '@taskflow/store';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { testEnv } from '@taskflow/testing';
import { startTestApp, type TestApp } from '../testing/test-app';

let t: TestApp;
let app: FastifyInstance;
let redis: Redis;
/** Read side of the analysis queue the API produces into (no worker consumes it in these tests). */
let analysis: Queue;

beforeAll(async () => {
  t = await startTestApp();
  app = t.app;
  await app.ready();
  redis = new Redis(testEnv('TEST_REDIS_URL'));
  analysis = new Queue(QUEUES.analysis, { connection: redis, prefix: t.prefix });
});
afterAll(async () => {
  await analysis.close();
  await redis.quit();
  await t.close();
});

type User = Pick<PublicUserRow, 'id' | 'orgId' | 'username' | 'name'>;

const tokenOf = (u: User) => app.signSession({ id: u.id, orgId: u.orgId, username: u.username, name: u.name });

function as(user: User, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const opts: InjectOptions = { method, url, headers: { authorization: `Bearer ${tokenOf(user)}` } };
  if (payload !== undefined) opts.payload = payload as object;
  return app.inject(opts);
}

const alice = () => t.f.users.alice;
const bob = () => t.f.users.bob;
const carol = () => t.f.users.carol;

const validBody = { title: 'Fix the 3-D Secure redirect', description: 'Card payments fail when 3-D Secure is required.' };

async function taskRows(): Promise<number> {
  const row = await t.f.db
    .selectFrom('tasks')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function storedTask(id: string) {
  const found = await getTask(t.f.db, 'system', id);
  if (!found) throw new Error(`task ${id} not in the database`);
  return found.task;
}

/** Moves a task (created through the store, in `received`) to `status` the way the worker would. */
async function drive(taskId: string, status: 'analyzing' | 'needs_clarification' | 'dispatched' | 'failed', questions = ['Which page?']) {
  const current = (await storedTask(taskId)).status;
  if (status === 'failed') {
    await transition(t.f.db, { taskId, from: current, to: 'failed', event: 'failed', patch: { errorMessage: 'LLM down' } });
    return;
  }
  if (current === 'received') await transition(t.f.db, { taskId, from: 'received', to: 'analyzing', event: 'analyzing' });
  if (status === 'needs_clarification') {
    await transition(t.f.db, {
      taskId,
      from: 'analyzing',
      to: 'needs_clarification',
      event: 'clarification_needed',
      patch: { clarificationQuestions: questions },
    });
  }
  if (status === 'dispatched') {
    await transition(t.f.db, {
      taskId,
      from: 'analyzing',
      to: 'dispatched',
      event: 'dispatched',
      patch: {
        githubIssueNumber: 42,
        githubIssueUrl: 'https://github.com/acme/payments/issues/42',
        githubBranch: taskBranch(taskId),
        dispatchedAt: new Date(),
      },
    });
  }
}

async function newTaskIn(status: TaskStatus | 'received', creator: User = alice(), overrides: { isPrivate?: boolean } = {}) {
  const { task } = await t.f.newTask(creator as PublicUserRow, overrides);
  if (status !== 'received') await drive(task.id, status as 'analyzing' | 'needs_clarification' | 'dispatched' | 'failed');
  return task.id;
}

describe('POST /api/tasks', () => {
  it('answers 202 with the task in received and queues its analysis', async () => {
    const res = await as(alice(), 'POST', '/api/tasks', validBody);
    expect(res.statusCode).toBe(202);
    const { task } = res.json();
    expect(task).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'received',
      seq: 1,
      title: validBody.title,
      description: validBody.description,
      orgId: alice().orgId,
      creator: 'Alice',
      createdBy: { id: alice().id, username: 'alice', name: 'Alice' },
      retryCount: 0,
    });
    expect(await storedTask(task.id)).toMatchObject({ status: 'received', seq: 1, creatorId: alice().id });

    const job = await analysis.getJob(jobId('analyze', task.id, 1));
    expect(job).toBeDefined();
    expect(job!.name).toBe('analyze');
    expect(job!.data).toEqual({ taskId: task.id });
  });

  it('fills in the defaults: first configured repo, normal priority, public, auto hints, empty lists', async () => {
    const res = await as(alice(), 'POST', '/api/tasks', validBody);
    expect(res.statusCode).toBe(202);
    expect(res.json().task).toMatchObject({
      repo: 'acme/payments',
      priority: 'normal',
      isPrivate: false,
      taskTypeHint: 'auto',
      preferredAgent: 'auto',
      filesHint: [],
      acceptanceCriteria: [],
      clarificationQuestions: [],
      clarificationAnswers: [],
      githubIssueNumber: null,
      githubBranch: null,
      prNumber: null,
      completedAt: null,
      errorMessage: null,
    });
  });

  it('keeps every optional field given, and trims title and description', async () => {
    const body = {
      title: '  Add retry to the webhook sender  ',
      description: '\nRetries with backoff.\n',
      isPrivate: false,
      repo: 'acme/web',
      taskTypeHint: 'feature',
      filesHint: ['src/webhooks/send.ts'],
      acceptanceCriteria: ['Retries 3 times', 'Logs each failure'],
      priority: 'urgent',
      preferredAgent: 'codex',
    };
    const res = await as(alice(), 'POST', '/api/tasks', body);
    expect(res.statusCode).toBe(202);
    const { task } = res.json();
    expect(task).toMatchObject({ ...body, title: 'Add retry to the webhook sender', description: 'Retries with backoff.' });
    expect(await storedTask(task.id)).toMatchObject({ repo: 'acme/web', isPrivate: false, priority: 'urgent', filesHint: body.filesHint });
  });

  it('accepts a title of exactly the maximum length', async () => {
    const res = await as(alice(), 'POST', '/api/tasks', { ...validBody, title: 'x'.repeat(LIMITS.title) });
    expect(res.statusCode).toBe(202);
  });

  describe('refuses bad bodies with 400 and writes nothing', () => {
    const tooMany = Array.from({ length: LIMITS.listItems + 1 }, (_, i) => `src/file-${i}.ts`);
    it.each<[string, Record<string, unknown>]>([
      ['a title of the wrong type', { ...validBody, title: { text: 'Fix it' } }],
      ['a description of the wrong type', { ...validBody, description: { text: 'Card payments fail' } }],
      ['isPrivate of the wrong type', { ...validBody, isPrivate: 'yes' }],
      ['filesHint of the wrong type', { ...validBody, filesHint: { path: 'a.ts' } }],
      ['an unknown priority', { ...validBody, priority: 'asap' }],
      ['a missing title', { description: validBody.description }],
      ['a missing description', { title: validBody.title }],
      ['a title over 200 characters', { ...validBody, title: 'x'.repeat(LIMITS.title + 1) }],
      ['a description over 10 000 characters', { ...validBody, description: 'x'.repeat(LIMITS.description + 1) }],
      ['an unknown field', { ...validBody, assignee: 'bob' }],
      ['a repository that is not configured', { ...validBody, repo: 'acme/secret-project' }],
      ["another org's repository", { ...validBody, repo: 'globex/portal' }],
      ['a private task for a repository not marked private', { ...validBody, repo: 'acme/web', isPrivate: true }],
      ['a repository that is not owner/name', { ...validBody, repo: 'not a repo' }],
      ['too many filesHint items', { ...validBody, filesHint: tooMany }],
      ['too many acceptanceCriteria items', { ...validBody, acceptanceCriteria: tooMany }],
      ['a list item over 500 characters', { ...validBody, acceptanceCriteria: ['x'.repeat(LIMITS.listItem + 1)] }],
      ['an empty list item', { ...validBody, filesHint: [''] }],
      ['an empty title', { ...validBody, title: '' }],
      ['a whitespace-only title', { ...validBody, title: '          ' }],
      ['a whitespace-only description', { ...validBody, description: ' \n\t ' }],
    ])('%s', async (_case, body) => {
      const [rowsBefore, jobsBefore] = [await taskRows(), await analysis.count()];
      const res = await as(alice(), 'POST', '/api/tasks', body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual(
        expect.objectContaining({
          error: expect.stringMatching(/^(VALIDATION_FAILED|BAD_REQUEST|REPO_NOT_PRIVATE)$/),
          message: expect.any(String),
        }),
      );
      expect(await taskRows()).toBe(rowsBefore);
      expect(await analysis.count()).toBe(jobsBefore);
    });

    it("names the org's own repositories when the repository is not one of them", async () => {
      const res = await as(alice(), 'POST', '/api/tasks', { ...validBody, repo: 'acme/secret-project' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: 'BAD_REQUEST', message: expect.stringContaining('acme/payments, acme/web') });
    });
  });

  // JSON types are part of the contract. Fastify's default Ajv options (coerceTypes: 'array'),
  // which app.ts keeps, also coerce request bodies: these are accepted and written today.
  describe('does not coerce JSON types', () => {
    it.each<[string, Record<string, unknown>]>([
      ['a number as the title', { ...validBody, title: 12345 }],
      ['a one-string array as the description', { ...validBody, description: ['Card payments fail'] }],
      ['the string "true" as isPrivate', { ...validBody, isPrivate: 'true' }],
      ['a string as filesHint', { ...validBody, filesHint: 'src/payments/3ds.ts' }],
    ])('refuses %s with 400, writing nothing', async (_case, body) => {
      const rowsBefore = await taskRows();
      const res = await as(alice(), 'POST', '/api/tasks', body);
      expect(res.statusCode).toBe(400);
      expect(await taskRows()).toBe(rowsBefore);
    });
  });
});

describe('GET /api/repos', () => {
  it("lists the org's own repositories, the first one as the default", async () => {
    const res = await as(bob(), 'GET', '/api/repos');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      repos: [
        { fullName: 'acme/payments', isDefault: true, isPrivate: true },
        { fullName: 'acme/web', isDefault: false, isPrivate: false },
      ],
    });
  });
});

describe('GET /api/tasks', () => {
  // An org of its own, so the counts below are exact whatever the other tests create.
  let dave: User;
  let erin: User;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const initech = await createOrg(t.f.db, 'initech', 'Initech');
    dave = await createUser(t.f.db, { orgId: initech.id, username: 'dave', name: 'Dave', password: FIXTURE_PASSWORD });
    erin = await createUser(t.f.db, { orgId: initech.id, username: 'erin', name: 'Erin', password: FIXTURE_PASSWORD });
    // Created one after the other, so the newest update is the last one here.
    ids.daveReceived = await newTaskIn('received', dave);
    ids.daveFailed = await newTaskIn('failed', dave);
    ids.daveCancelled = await newTaskIn('received', dave);
    await transition(t.f.db, { taskId: ids.daveCancelled, from: 'received', to: 'cancelled', event: 'cancelled' });
    ids.erinPublic = await newTaskIn('needs_clarification', erin);
    ids.erinPrivate = await newTaskIn('received', erin, { isPrivate: true });
  });

  const idsOf = (res: { json(): { tasks: Array<{ id: string }> } }) => res.json().tasks.map((x) => x.id);

  it('lists the visible tasks newest update first, with counts per group', async () => {
    const res = await as(dave, 'GET', '/api/tasks');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(idsOf(res)).toEqual([ids.erinPublic, ids.daveCancelled, ids.daveFailed, ids.daveReceived]);
    expect(body.counts).toEqual({ activeCount: 2, completedCount: 1, failedCount: 1, total: 4 });
    expect(body.nextCursor).toBeNull();
    const updated = body.tasks.map((x: { updatedAt: string }) => Date.parse(x.updatedAt));
    expect(updated).toEqual([...updated].sort((a, b) => b - a));
  });

  it('shows a private task to its creator only', async () => {
    expect(idsOf(await as(erin, 'GET', '/api/tasks'))).toContain(ids.erinPrivate);
    expect(idsOf(await as(dave, 'GET', '/api/tasks'))).not.toContain(ids.erinPrivate);
  });

  it('shows nothing of another org', async () => {
    const res = await as(carol(), 'GET', '/api/tasks');
    expect(res.statusCode).toBe(200);
    expect(idsOf(res)).not.toEqual(expect.arrayContaining([ids.daveReceived]));
    for (const task of res.json().tasks) expect(task.orgId).toBe(carol().orgId);
  });

  it('filters by status, with the counts of the filtered view', async () => {
    const res = await as(dave, 'GET', '/api/tasks?status=failed');
    expect(res.statusCode).toBe(200);
    expect(idsOf(res)).toEqual([ids.daveFailed]);
    expect(res.json().counts).toEqual({ activeCount: 0, completedCount: 0, failedCount: 1, total: 1 });
  });

  it('filters by creator', async () => {
    const res = await as(dave, 'GET', `/api/tasks?creator=${erin.id}`);
    expect(res.statusCode).toBe(200);
    expect(idsOf(res)).toEqual([ids.erinPublic]);
  });

  it('narrows list and counts to my own tasks with scope=mine', async () => {
    const res = await as(dave, 'GET', '/api/tasks?scope=mine');
    expect(res.statusCode).toBe(200);
    expect(idsOf(res)).toEqual([ids.daveCancelled, ids.daveFailed, ids.daveReceived]);
    expect(res.json().counts).toEqual({ activeCount: 1, completedCount: 1, failedCount: 1, total: 3 });
  });

  it('pages through everything with nextCursor, without gaps or repeats', async () => {
    const first = await as(dave, 'GET', '/api/tasks?limit=3');
    expect(first.statusCode).toBe(200);
    expect(idsOf(first)).toEqual([ids.erinPublic, ids.daveCancelled, ids.daveFailed]);
    const cursor = first.json().nextCursor;
    expect(cursor).toEqual(expect.any(String));

    const second = await as(dave, 'GET', `/api/tasks?limit=3&cursor=${encodeURIComponent(cursor)}`);
    expect(second.statusCode).toBe(200);
    expect(idsOf(second)).toEqual([ids.daveReceived]);
    expect(second.json().nextCursor).toBeNull();
  });

  it('ends on an exactly full page with no cursor', async () => {
    const res = await as(dave, 'GET', '/api/tasks?limit=4');
    expect(idsOf(res)).toHaveLength(4);
    expect(res.json().nextCursor).toBeNull();
  });

  it.each([
    ['an unknown parameter', 'sort=title'],
    ['a limit of 0', 'limit=0'],
    ['a limit over 200', 'limit=201'],
    ['an unknown status', 'status=done'],
    ['an unknown scope', 'scope=everyone'],
    ['a creator that is not a uuid', 'creator=dave'],
  ])('answers 400 for %s', async (_case, query) => {
    const res = await as(dave, 'GET', `/api/tasks?${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'VALIDATION_FAILED' });
  });

  it('answers 400 for a forged cursor', async () => {
    const res = await as(dave, 'GET', `/api/tasks?cursor=${Buffer.from('yesterday|me').toString('base64url')}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'INVALID_CURSOR', message: 'The cursor is not valid' });
  });

  it.each([
    '2026-13-45 99:99:99+00',
    '2026-02-30 10:00:00+00',
    '0000-06-01 00:00:00+00',
    '2026-01-01 10:00:00+99',
    '0001-01-01 00:00:00+01',
  ])('answers 400 for a cursor whose time %j has the right shape but is no instant PostgreSQL takes', async (ts) => {
    const cursor = Buffer.from(`${ts}|3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f`).toString('base64url');
    const res = await as(dave, 'GET', `/api/tasks?cursor=${cursor}`);
    expect(res.json()).toEqual({ error: 'INVALID_CURSOR', message: 'The cursor is not valid' });
    expect(res.statusCode).toBe(400);
  });
});

describe('GET /api/tasks/:id', () => {
  const NOT_FOUND = { error: 'NOT_FOUND', message: 'Task not found' };

  it('answers the task with its timeline to anyone in the org', async () => {
    const id = await newTaskIn('analyzing');
    const res = await as(bob(), 'GET', `/api/tasks/${id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, status: 'analyzing', seq: 2 });
    expect(res.json().events.map((e: { seq: number; eventType: string }) => [e.seq, e.eventType])).toEqual([
      [1, 'created'],
      [2, 'analyzing'],
    ]);
  });

  it('answers 404 for a task of another org, a colleague’s private task and a missing task alike', async () => {
    const publicTask = await newTaskIn('received');
    const privateTask = await newTaskIn('received', alice(), { isPrivate: true });

    const otherOrg = await as(carol(), 'GET', `/api/tasks/${publicTask}`);
    const colleaguePrivate = await as(bob(), 'GET', `/api/tasks/${privateTask}`);
    const missing = await as(alice(), 'GET', `/api/tasks/${randomUUID()}`);
    for (const res of [otherOrg, colleaguePrivate, missing]) {
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual(NOT_FOUND);
    }
    expect(colleaguePrivate.body).toBe(missing.body);
    expect(otherOrg.body).toBe(missing.body);

    // Control: the creator does see the private task.
    expect((await as(alice(), 'GET', `/api/tasks/${privateTask}`)).statusCode).toBe(200);
  });

  it.each(['not-a-uuid', '12345', `${randomUUID()}x`])('answers 400 for the id %s', async (id) => {
    const res = await as(alice(), 'GET', `/api/tasks/${id}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'VALIDATION_FAILED', message: expect.any(String) });
  });

  // Ajv's "uuid" format also admits the `urn:uuid:` form, which PostgreSQL's uuid type does not parse.
  it.each([
    ['the task id', () => `/api/tasks/urn:uuid:${randomUUID()}`],
    ['the creator filter', () => `/api/tasks?creator=urn:uuid:${randomUUID()}`],
  ])('answers 400, not 500, for a urn:uuid: value as %s', async (_case, url) => {
    const res = await as(alice(), 'GET', url());
    expect(res.statusCode).toBe(400);
  });
});

describe('POST /api/tasks/:id/clarify', () => {
  it('answers 409 when the task is not waiting for clarification', async () => {
    const id = await newTaskIn('analyzing');
    const res = await as(alice(), 'POST', `/api/tasks/${id}/clarify`, { answers: ['The checkout page'] });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      error: 'NOT_AWAITING_CLARIFICATION',
      message: 'The task is analyzing, not waiting for clarification',
      conflict: { status: 'analyzing' },
    });
    expect((await storedTask(id)).status).toBe('analyzing');
  });

  it('answers 400 when the answers do not match the questions one to one', async () => {
    const { task } = await t.f.newTask(alice());
    await drive(task.id, 'needs_clarification', ['Which page?', 'Which browser?']);
    for (const answers of [['Checkout'], ['Checkout', 'Firefox', 'Also Safari']]) {
      const res = await as(alice(), 'POST', `/api/tasks/${task.id}/clarify`, { answers });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: 'BAD_REQUEST', message: `Expected 2 answer(s), one per question, got ${answers.length}` });
    }
    expect(await storedTask(task.id)).toMatchObject({ status: 'needs_clarification', clarificationAnswers: [] });
  });

  it.each<[string, unknown]>([
    ['no answers', { answers: [] }],
    ['more than 3 answers', { answers: ['a', 'b', 'c', 'd'] }],
    ['a blank answer', { answers: ['   '] }],
    ['an unknown field', { answers: ['Checkout'], note: 'x' }],
  ])('answers 400 for %s', async (_case, body) => {
    const id = await newTaskIn('needs_clarification');
    const res = await as(alice(), 'POST', `/api/tasks/${id}/clarify`, body);
    expect(res.statusCode).toBe(400);
    expect((await storedTask(id)).status).toBe('needs_clarification');
  });

  it('stores the answers, moves the task back to analyzing and queues a new analysis', async () => {
    const { task } = await t.f.newTask(alice());
    await drive(task.id, 'needs_clarification', ['Which page?', 'Which browser?']);
    const jobsBefore = await analysis.count();

    const res = await as(alice(), 'POST', `/api/tasks/${task.id}/clarify`, { answers: ['  The checkout page ', 'Firefox'] });
    expect(res.statusCode).toBe(202);
    const body = res.json().task;
    expect(body).toMatchObject({ id: task.id, status: 'analyzing', seq: 4, clarificationAnswers: ['The checkout page', 'Firefox'] });
    expect(await storedTask(task.id)).toMatchObject({
      status: 'analyzing',
      seq: 4,
      clarificationAnswers: ['The checkout page', 'Firefox'],
    });

    const job = await analysis.getJob(jobId('analyze', task.id, 4));
    expect(job?.data).toEqual({ taskId: task.id });
    expect(await analysis.count()).toBe(jobsBefore + 1);
  });

  it('lets only the creator answer: 403 for a colleague, 404 for another org', async () => {
    const id = await newTaskIn('needs_clarification');
    const colleague = await as(bob(), 'POST', `/api/tasks/${id}/clarify`, { answers: ['Checkout'] });
    expect(colleague.statusCode).toBe(403);
    expect(colleague.json()).toEqual({ error: 'FORBIDDEN', message: 'Only the task creator can do this' });
    const stranger = await as(carol(), 'POST', `/api/tasks/${id}/clarify`, { answers: ['Checkout'] });
    expect(stranger.statusCode).toBe(404);
    expect(stranger.json()).toEqual({ error: 'NOT_FOUND', message: 'Task not found' });
    expect(await storedTask(id)).toMatchObject({ status: 'needs_clarification', clarificationAnswers: [] });
  });
});

describe('POST /api/tasks/:id/retry', () => {
  it.each(['received', 'analyzing', 'needs_clarification', 'dispatched'] as const)('answers 409 for a task in %s', async (status) => {
    const id = await newTaskIn(status);
    const res = await as(alice(), 'POST', `/api/tasks/${id}/retry`);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      error: 'NOT_FAILED',
      message: `Only a failed task can be retried (this one is ${status})`,
      conflict: { status },
    });
    expect((await storedTask(id)).status).toBe(status);
  });

  it('sends a failed task back to received, counts the retry, clears the old attempt and queues its analysis', async () => {
    const { task } = await t.f.newTask(alice());
    await drive(task.id, 'dispatched');
    await drive(task.id, 'failed');

    const res = await as(alice(), 'POST', `/api/tasks/${task.id}/retry`);
    expect(res.statusCode).toBe(202);
    const retried = res.json().task;
    expect(retried).toMatchObject({
      status: 'received',
      seq: 5,
      retryCount: 1,
      errorMessage: null,
      githubIssueNumber: null,
      githubIssueUrl: null,
      githubBranch: null,
      dispatchedAt: null,
      completedAt: null,
    });
    expect(await storedTask(task.id)).toMatchObject({ status: 'received', retryCount: 1 });
    expect((await analysis.getJob(jobId('analyze', task.id, 5)))?.data).toEqual({ taskId: task.id });
  });

  it(`refuses with 409 after ${MAX_RETRIES} retries`, async () => {
    const id = await newTaskIn('failed');
    for (let i = 1; i <= MAX_RETRIES; i++) {
      const res = await as(alice(), 'POST', `/api/tasks/${id}/retry`);
      expect(res.statusCode).toBe(202);
      expect(res.json().task).toMatchObject({ status: 'received', retryCount: i });
      await drive(id, 'failed');
    }
    const jobsBefore = await analysis.count();
    const refused = await as(alice(), 'POST', `/api/tasks/${id}/retry`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toEqual({ error: 'RETRY_LIMIT', message: `Task was already retried ${MAX_RETRIES} times` });
    expect(await storedTask(id)).toMatchObject({ status: 'failed', retryCount: MAX_RETRIES });
    expect(await analysis.count()).toBe(jobsBefore);
  });

  it('lets only the creator retry: 403 for a colleague, 404 for another org', async () => {
    const id = await newTaskIn('failed');
    expect((await as(bob(), 'POST', `/api/tasks/${id}/retry`)).statusCode).toBe(403);
    expect((await as(carol(), 'POST', `/api/tasks/${id}/retry`)).statusCode).toBe(404);
    expect(await storedTask(id)).toMatchObject({ status: 'failed', retryCount: 0 });
  });
});

describe('POST /api/tasks/:id/cancel', () => {
  it.each(['received', 'analyzing', 'needs_clarification'] as const)('cancels a task in %s', async (status) => {
    const id = await newTaskIn(status);
    const res = await as(alice(), 'POST', `/api/tasks/${id}/cancel`);
    expect(res.statusCode).toBe(202);
    expect(res.json().task).toMatchObject({ id, status: 'cancelled', completedAt: expect.any(String) });
    const stored = await storedTask(id);
    expect(stored.status).toBe('cancelled');
    expect(stored.completedAt).toBeInstanceOf(Date);
  });

  it.each(['dispatched', 'failed'] as const)('answers 409 for a task in %s', async (status) => {
    const id = await newTaskIn(status);
    const res = await as(alice(), 'POST', `/api/tasks/${id}/cancel`);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      error: 'NOT_CANCELLABLE',
      message: `A task can be cancelled only before it is dispatched (this one is ${status})`,
      conflict: { status },
    });
    expect((await storedTask(id)).status).toBe(status);
  });

  it('answers 409 for a task cancelled already', async () => {
    const id = await newTaskIn('received');
    expect((await as(alice(), 'POST', `/api/tasks/${id}/cancel`)).statusCode).toBe(202);
    const again = await as(alice(), 'POST', `/api/tasks/${id}/cancel`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toBe('NOT_CANCELLABLE');
  });

  it('lets only the creator cancel: 403 for a colleague, 404 for another org', async () => {
    const id = await newTaskIn('received');
    const colleague = await as(bob(), 'POST', `/api/tasks/${id}/cancel`);
    expect(colleague.statusCode).toBe(403);
    expect(colleague.json()).toEqual({ error: 'FORBIDDEN', message: 'Only the task creator can do this' });
    const stranger = await as(carol(), 'POST', `/api/tasks/${id}/cancel`);
    expect(stranger.statusCode).toBe(404);
    expect(stranger.json()).toEqual({ error: 'NOT_FOUND', message: 'Task not found' });
    expect((await storedTask(id)).status).toBe('received');
  });

  it('answers 404 to a colleague for a private task, as if it did not exist', async () => {
    const id = await newTaskIn('received', alice(), { isPrivate: true });
    const res = await as(bob(), 'POST', `/api/tasks/${id}/cancel`);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'NOT_FOUND', message: 'Task not found' });
  });
});
