import { PublicTaskSchema, statusEventPayload } from '@taskflow/events';
import { IllegalTransitionError, RetryLimitError, StaleTransitionError, TaskNotFoundError } from './errors';
import { createStoreFixture, type StoreFixture } from './testing';
import { transition, type TransitionInput } from './tasks.commands';
import { getTask, isTaskVisible, listTasks } from './tasks.queries';
import { findTaskForWebhook } from './pipeline.queries';
import { readForResync } from './resync.queries';

let f: StoreFixture;
beforeAll(async () => {
  f = await createStoreFixture();
});
afterAll(() => f.close());

const dispatchPatch = {
  githubIssueNumber: 42,
  githubIssueUrl: 'https://github.com/acme/payments/issues/42',
  githubBranch: 'taskflow/42-fix-payment-bug',
  summary: 'Fix 3-D Secure payments',
};

describe('createTask', () => {
  it('creates the task in received with its created event at seq 1, in one go', async () => {
    const { task, event } = await f.newTask(f.users.alice, { title: 'Add retries' });
    expect(task).toMatchObject({ status: 'received', seq: 1, title: 'Add retries', createdBy: { username: 'alice' } });
    expect(event).toMatchObject({ taskId: task.id, seq: 1, eventType: 'created', publishedAt: null });
    expect(event.payload).toEqual({
      ...statusEventPayload('created', task),
      detail: { actor: 'Alice', actorLogin: 'alice', actorKind: 'user' },
    });
  });
});

describe('task records', () => {
  // The wire's `creator` (the name) is derived by the builders from `createdBy`.
  const RECORD_KEYS = [...Object.keys(PublicTaskSchema.properties).filter((k) => k !== 'creator'), 'creatorId', 'analysis'].sort();

  it('every reader returns exactly the contract fields (creator nested as createdBy) and the internal creatorId and analysis', async () => {
    const created = await f.newTask(f.users.alice, { title: 'Record shape' });
    const moved = await transition(f.db, { taskId: created.task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
    const [resync] = await readForResync(f.db, f.users.alice, [{ taskId: created.task.id }], 10);
    await transition(f.db, {
      taskId: created.task.id,
      from: 'analyzing',
      to: 'dispatched',
      event: 'dispatched',
      patch: { ...dispatchPatch, githubIssueNumber: 77, githubBranch: `record-shape-${created.task.id}` },
    });
    const records = {
      created: created.task,
      transition: moved.task,
      getTask: (await getTask(f.db, f.users.alice, created.task.id))?.task,
      listTasks: (await listTasks(f.db, f.users.alice, { limit: 1 })).tasks[0],
      resync: resync?.kind === 'state' ? resync.task : undefined,
      webhook: await findTaskForWebhook(f.db, { repo: 'acme/payments', branch: `record-shape-${created.task.id}` }),
    };
    for (const [reader, record] of Object.entries(records)) {
      expect([reader, record?.id]).toEqual([reader, created.task.id]);
      expect([reader, Object.keys(record ?? {}).sort()]).toEqual([reader, RECORD_KEYS]);
      expect([reader, record?.createdBy]).toEqual([reader, { id: f.users.alice.id, username: 'alice', name: f.users.alice.name }]);
    }
  });
});

describe('transition', () => {
  it('moves the status, bumps seq and writes the event with that seq', async () => {
    const { task } = await f.newTask(f.users.alice);
    const a = await transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
    expect(a.task).toMatchObject({ status: 'analyzing', seq: 2 });
    expect(a.event).toMatchObject({ seq: 2, eventType: 'analyzing', payload: { taskId: task.id, seq: 2, status: 'analyzing' } });
    const d = await transition(f.db, {
      taskId: task.id,
      from: 'analyzing',
      to: 'dispatched',
      event: 'dispatched',
      patch: { ...dispatchPatch, dispatchedAt: new Date() },
      detail: { analyzer: 'built-in rules' },
    });
    expect(d.task).toMatchObject({ status: 'dispatched', seq: 3, githubIssueNumber: 42, summary: 'Fix 3-D Secure payments' });
    expect(d.event.payload).toMatchObject({
      issueNumber: 42,
      githubBranch: dispatchPatch.githubBranch,
      detail: { analyzer: 'built-in rules' },
    });
    expect(d.task.updatedAt.getTime()).toBeGreaterThan(task.updatedAt.getTime());
  });

  it('refuses an illegal transition before touching the database', async () => {
    const { task } = await f.newTask(f.users.alice);
    await expect(transition(f.db, { taskId: task.id, from: 'received', to: 'merged', event: 'pr_merged' })).rejects.toBeInstanceOf(
      IllegalTransitionError,
    );
    await expect(transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'coding' })).rejects.toMatchObject({
      code: 'ILLEGAL_TRANSITION',
      statusCode: 409,
    });
    const after = await getTask(f.db, 'system', task.id);
    expect(after?.task).toMatchObject({ status: 'received', seq: 1 });
    expect(after?.events).toHaveLength(1);
  });

  it('refuses a stale transition (status moved on) and writes nothing', async () => {
    const { task } = await f.newTask(f.users.alice);
    await transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
    const stale = transition(f.db, { taskId: task.id, from: 'received', to: 'cancelled', event: 'cancelled' });
    await expect(stale).rejects.toBeInstanceOf(StaleTransitionError);
    await expect(stale).rejects.toMatchObject({ actual: 'analyzing' });
    expect((await getTask(f.db, 'system', task.id))?.task.seq).toBe(2);
  });

  it('says when the task does not exist', async () => {
    await expect(
      transition(f.db, { taskId: '00000000-0000-4000-8000-000000000000', from: 'received', to: 'analyzing', event: 'analyzing' }),
    ).rejects.toBeInstanceOf(TaskNotFoundError);
  });

  it('rolls back when the event cannot be built (dispatch without an issue)', async () => {
    const { task } = await f.newTask(f.users.alice);
    await transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
    await expect(transition(f.db, { taskId: task.id, from: 'analyzing', to: 'dispatched', event: 'dispatched' })).rejects.toThrow(
      /githubIssueNumber/,
    );
    expect((await getTask(f.db, 'system', task.id))?.task).toMatchObject({ status: 'analyzing', seq: 2 });
  });

  it('of 20 concurrent identical transitions exactly one wins', async () => {
    const { task } = await f.newTask(f.users.alice);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const r of lost) expect(r.reason).toBeInstanceOf(StaleTransitionError);
    const after = await getTask(f.db, 'system', task.id);
    expect(after?.task).toMatchObject({ status: 'analyzing', seq: 2 });
    expect(after?.events.map((e) => e.seq)).toEqual([1, 2]);
  });

  it('keeps seq gapless when different transitions race on one task', async () => {
    const { task } = await f.newTask(f.users.alice);
    await transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
    // 20 racers, each trying some legal move from some status: whatever wins, the log must stay gapless.
    const moves: Array<Omit<TransitionInput, 'taskId'>> = [
      { from: 'analyzing', to: 'needs_clarification', event: 'clarification_needed', patch: { clarificationQuestions: ['Which card?'] } },
      { from: 'needs_clarification', to: 'analyzing', event: 'clarified', patch: { clarificationAnswers: ['Visa'] } },
      { from: 'analyzing', to: 'dispatched', event: 'dispatched', patch: dispatchPatch },
      { from: 'dispatched', to: 'coding', event: 'coding' },
    ];
    for (let round = 0; round < 3; round++) {
      await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => {
          const m = moves[i % moves.length]!;
          return transition(f.db, { ...m, taskId: task.id });
        }),
      );
    }
    const after = await getTask(f.db, 'system', task.id);
    const seqs = after!.events.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(after!.task.seq).toBe(seqs.length);
    expect(after!.events.at(-1)!.payload).toMatchObject({ status: after!.task.status });
    expect(seqs.length).toBeGreaterThan(2);
  });

  it('retries a failed task at most 3 times, counting each retry', async () => {
    const { task } = await f.newTask(f.users.alice);
    for (let i = 1; i <= 3; i++) {
      await transition(f.db, { taskId: task.id, from: 'received', to: 'failed', event: 'failed', patch: { errorMessage: 'LLM down' } });
      const r = await transition(f.db, { taskId: task.id, from: 'failed', to: 'received', event: 'retried' });
      expect(r.task).toMatchObject({ status: 'received', retryCount: i, errorMessage: null });
      expect(r.event.payload).toMatchObject({ retryCount: i });
    }
    await transition(f.db, { taskId: task.id, from: 'received', to: 'failed', event: 'failed', patch: { errorMessage: 'LLM down' } });
    await expect(transition(f.db, { taskId: task.id, from: 'failed', to: 'received', event: 'retried' })).rejects.toBeInstanceOf(
      RetryLimitError,
    );
    expect((await getTask(f.db, 'system', task.id))?.task).toMatchObject({ status: 'failed', retryCount: 3 });
  });

  it('clears the previous attempt on retry, analysis included, whoever asks for it', async () => {
    const { task } = await f.newTask(f.users.alice);
    const analysis = JSON.stringify({ analyzer: 'rules', summary: 'old' });
    await transition(f.db, {
      taskId: task.id,
      from: 'received',
      to: 'failed',
      event: 'failed',
      patch: {
        errorMessage: 'x',
        analysis,
        githubIssueNumber: 7,
        githubIssueUrl: 'https://github.com/acme/payments/issues/7',
        prNumber: 8,
      },
    });
    const r = await transition(f.db, { taskId: task.id, from: 'failed', to: 'received', event: 'retried' });
    expect(r.task).toMatchObject({ analysis: null, githubIssueNumber: null, githubIssueUrl: null, prNumber: null, errorMessage: null });
  });

  it('stamps completedAt on terminal statuses and clears it on retry', async () => {
    const { task } = await f.newTask(f.users.alice);
    const c = await transition(f.db, { taskId: task.id, from: 'received', to: 'cancelled', event: 'cancelled' });
    expect(c.task.completedAt).toBeInstanceOf(Date);
    const { task: t2 } = await f.newTask(f.users.alice);
    await transition(f.db, { taskId: t2.id, from: 'received', to: 'failed', event: 'failed', patch: { errorMessage: 'x' } });
    const r = await transition(f.db, { taskId: t2.id, from: 'failed', to: 'received', event: 'retried' });
    expect(r.task.completedAt).toBeNull();
  });

  it('says whether a viewer may see a task as getTask does: creator, org unless private, never another org', async () => {
    const { task: shared } = await f.newTask(f.users.alice);
    const { task: hidden } = await f.newTask(f.users.alice, { isPrivate: true });
    const missing = '00000000-0000-4000-8000-000000000000';
    const cases = [
      [f.users.alice, shared.id],
      [f.users.bob, shared.id],
      [f.users.carol, shared.id],
      [f.users.alice, hidden.id],
      [f.users.bob, hidden.id],
      [f.users.alice, missing],
    ] as const;
    const visible = await Promise.all(cases.map(([viewer, id]) => isTaskVisible(f.db, viewer, id)));
    expect(visible).toEqual([true, true, false, true, false, false]);
    const read = await Promise.all(cases.map(async ([viewer, id]) => (await getTask(f.db, viewer, id)) !== undefined));
    expect(visible).toEqual(read);
  });
});
