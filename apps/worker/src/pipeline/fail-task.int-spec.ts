import { Writable } from 'node:stream';
import type { Job } from 'bullmq';
import pino from 'pino';
import type { JobData, JobName } from '@taskflow/events';
import { transition } from '@taskflow/store';
import { createStoreFixture, type StoreFixture } from '@taskflow/store/testing';
import type { PipelineContext } from './context';
import { failTask } from './fail-task';

/**
 * A parked job fails its task with a stable message and a reference; the error's own text (an LLM's or GitHub's
 * answer, a database error) goes only to the worker's log, under that reference.
 */
jest.setTimeout(60_000);

let f: StoreFixture;
beforeAll(async () => {
  f = await createStoreFixture();
});
afterAll(() => f?.close());

function capturingContext(): { ctx: PipelineContext; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  // failTask uses the database and the logger only.
  return { ctx: { db: f.db, logger: pino(sink) } as unknown as PipelineContext, lines };
}

it.each([
  ['analyze', 'Analysis', '400 {"error":{"message":"Incorrect API key provided: sk-live-SECRET","type":"invalid_request_error"}}'],
  ['dispatch', 'Creating the GitHub issue', 'HttpError: 500 {"message":"internal: pq: relation \\"issues\\" at 10.0.3.7:5432"}'],
])('keeps the raw %s error out of the task and logs it under the reference', async (name, step, raw) => {
  const { task } = await f.newTask(f.users.alice);
  await transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
  const job = { id: `${name}-${task.id}-1`, name, data: { taskId: task.id }, attemptsMade: 3 } as unknown as Job<JobData[JobName]>;
  const { ctx, lines } = capturingContext();

  await failTask(job, new Error(raw), ctx);

  const row = await f.db.selectFrom('tasks').select(['status', 'errorMessage']).where('id', '=', task.id).executeTakeFirstOrThrow();
  expect(row.status).toBe('failed');
  expect(row.errorMessage).toMatch(new RegExp(`^${step} failed after 3 attempt\\(s\\): [a-zA-Z ]+\\. Reference: [0-9a-f-]{36}$`));
  expect(row.errorMessage).not.toMatch(/SECRET|10\.0\.3\.7|relation|api key/i);
  // The timeline event the sockets broadcast carries the same stable text.
  const event = await f.db
    .selectFrom('taskEvents')
    .selectAll()
    .where('taskId', '=', task.id)
    .where('eventType', '=', 'failed')
    .executeTakeFirst();
  expect(JSON.stringify(event)).not.toContain('SECRET');
  const reference = row.errorMessage!.split('Reference: ')[1];
  const logged = lines.find((l) => l.reference === reference);
  expect(logged).toMatchObject({ level: 50, jobId: job.id, taskId: task.id, err: { message: raw } });
});
