import pino from 'pino';
import { Redis } from 'ioredis';
import { SERVER_EVENTS, validate } from '@taskflow/events';
import { countOrgTasks, transition, unpublishedEventsOf } from '@taskflow/store';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { eventually, login, openSocket, testEnv, type TestSocket } from '@taskflow/testing';
import { startPipelineStack, type PipelineStack } from '../testing/pipeline-stack';
import { EventPublisher } from './outbox.publisher';
import { RedisBroadcaster } from './redis.broadcaster';

/**
 * Two commits of one task in quick succession, each waking the publisher (as
 * their NOTIFYs do), while a real server node delivers to a real dashboard: every
 * socket gets the task's row at most once per seq, in rising seq order, and the
 * latest row always arrives. Run without a worker, so this publisher is the only one.
 */
jest.setTimeout(120_000);

const TASKS = 25;
let stack: PipelineStack;
let redis: Redis;
let publisher: EventPublisher;
let client: TestSocket;

beforeAll(async () => {
  stack = await startPipelineStack();
  redis = new Redis(testEnv('TEST_REDIS_URL'), { commandTimeout: 2000 });
  publisher = new EventPublisher(stack.f.db, new RedisBroadcaster(redis), pino({ level: 'silent' }));
  client = await openSocket(stack.url, { token: await login(stack.url, 'alice', FIXTURE_PASSWORD) });
  expect((await client.request('dashboard:join')).ok).toBe(true);
});

afterAll(async () => {
  client?.close();
  await publisher?.idle();
  redis?.disconnect();
  await stack?.close();
});

const rowSeqs = (taskId: string) =>
  client
    .of('dashboard:task_list_updated')
    .filter((e) => e.payload.taskId === taskId)
    .map((e) => e.payload.seq as number);

it('sends a burst of commits as rising rows, never one seq twice, ending at the latest', async () => {
  const ids: string[] = [];
  for (let i = 0; i < TASKS; i += 1) ids.push((await stack.f.newTask(stack.f.users.alice)).task.id);
  await Promise.all(ids.map((id) => publisher.publishTask(id)));
  await Promise.all(
    ids.map(async (taskId, i) => {
      await transition(stack.f.db, { taskId, from: 'received', to: 'analyzing', event: 'analyzing' });
      // The second commit lands while the first publish reads (a different moment for each task): that
      // publish sees events up to seq 2 and the task's row already at seq 3.
      const second = transition(stack.f.db, {
        taskId,
        from: 'analyzing',
        to: 'dispatched',
        event: 'dispatched',
        patch: {
          githubIssueNumber: 12,
          githubIssueUrl: 'https://github.com/acme/payments/issues/12',
          githubBranch: `taskflow/${taskId}`,
          dispatchedAt: new Date(),
        },
      });
      // Staggers the publishes against the commits, differently for each task.
      await new Promise((r) => setTimeout(r, i % 5));
      const first = publisher.publishTask(taskId);
      await second;
      await Promise.all([first, publisher.publishTask(taskId)]);
    }),
  );
  for (const taskId of ids) expect(await unpublishedEventsOf(stack.f.db, taskId)).toEqual([]);
  await eventually('every latest row', async () => (ids.every((id) => rowSeqs(id).includes(3)) ? true : undefined));
  // Anything still in flight would arrive within this.
  await new Promise((r) => setTimeout(r, 500));
  for (const taskId of ids) {
    const seqs = rowSeqs(taskId);
    expect({ taskId, seqs }).toEqual({ taskId, seqs: [...new Set(seqs)] });
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs[seqs.length - 1]).toBe(3);
  }
});

it('sends one frame per change: the row carries its counts, the count event only when they changed', async () => {
  const countFrames = () => client.of('dashboard:task_count_changed').length;
  const { task } = await stack.f.newTask(stack.f.users.alice);
  await publisher.publishTask(task.id);
  const created = await client.waitFor((e) => e.event === 'dashboard:task_list_updated' && e.payload.taskId === task.id, 'the new row');
  expect(validate(SERVER_EVENTS['dashboard:task_list_updated'], created.payload).ok).toBe(true);
  const counts = await countOrgTasks(stack.f.db, stack.f.users.alice.orgId);
  expect(created.payload.counts).toEqual({ ...counts, scope: 'shared' });
  // A new task changes the counts: the count event still goes out, with the same counts.
  await eventually('the count event', async () =>
    client.of('dashboard:task_count_changed').some((e) => e.payload.activeCount === counts.activeCount) ? true : undefined,
  );
  const before = countFrames();

  await transition(stack.f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
  await publisher.publishTask(task.id);
  const moved = await client.waitFor(
    (e) => e.event === 'dashboard:task_list_updated' && e.payload.taskId === task.id && e.payload.seq === 2,
    'the analyzing row',
  );
  expect(moved.payload.counts).toEqual({ ...counts, scope: 'shared' });

  await transition(stack.f.db, { taskId: task.id, from: 'analyzing', to: 'failed', event: 'failed', patch: { errorMessage: 'no' } });
  await publisher.publishTask(task.id);
  const failed = await client.waitFor(
    (e) => e.event === 'dashboard:task_list_updated' && e.payload.taskId === task.id && e.payload.seq === 3,
    'the failed row',
  );
  expect(failed.payload.counts).toEqual({
    ...counts,
    activeCount: counts.activeCount - 1,
    failedCount: counts.failedCount + 1,
    scope: 'shared',
  });
  await eventually('the changed counts', async () => (countFrames() > before ? true : undefined));
  // Exactly one count event for the three changes: the move between active statuses sent none.
  await new Promise((r) => setTimeout(r, 300));
  expect(
    client
      .of('dashboard:task_count_changed')
      .slice(before)
      .map((e) => e.payload),
  ).toEqual([failed.payload.counts]);
});
