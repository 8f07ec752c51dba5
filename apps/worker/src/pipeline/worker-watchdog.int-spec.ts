import { QUEUES } from '@taskflow/events';
import { usePipelineStack } from '../testing/pipeline-stack';

/**
 * A queue's BullMQ worker that stops taking jobs (after a Redis failover it can, silently) is replaced, and the
 * tasks waiting on it go on. Real server, worker runtime, PostgreSQL and Redis; the worker is stopped from fetching
 * with BullMQ's own pause, which looks to the watchdog exactly like the stuck fetch loop.
 */
jest.setTimeout(90_000);

const stack = usePipelineStack();

it('replaces the analysis worker that took no job while tasks waited, and the tasks are dispatched once each', async () => {
  const runtime = stack.current.startWorker({ WORKER_STUCK_AFTER_MS: '2000' });
  await runtime.ready;
  const analysis = runtime.consumers.find((c) => c.queue === QUEUES.analysis)!;
  const stuck = analysis.current;
  // Stops its fetch loop without waiting for running jobs (there are none): from now on it takes nothing.
  await stuck.pause(true);

  const alice = await stack.current.asUser('alice');
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { status, body } = await alice.post('/api/tasks', {
      title: `Add retry to webhook delivery ${i}`,
      description: 'Outgoing webhook deliveries in src/webhooks/deliver.ts give up after the first failure. Retry three times.',
    });
    expect(status).toBe(202);
    ids.push(body.task.id);
  }
  const started = Date.now();
  for (const id of ids) {
    const task = await stack.current.waitForStatus(alice, id, 'dispatched', 30_000);
    // Analysed once: one `analyzing`, one answer, one dispatch (a job run twice would show twice).
    expect(task.events.map((e: { eventType: string }) => e.eventType)).toEqual(['created', 'analyzing', 'llm_response', 'dispatched']);
  }
  console.log(`[worker-watchdog] 3 tasks dispatched ${Date.now() - started} ms after creation (stuck after 2000 ms)`);
  expect(analysis.current).not.toBe(stuck);
  expect(analysis.started).toBe(3);
  // The replaced worker was closed, not left holding a connection.
  await stuck.close();
  expect(stuck.isRunning()).toBe(false);
  // The other queues' workers were never blamed.
  for (const c of runtime.consumers.filter((x) => x !== analysis)) expect(c.current.isRunning()).toBe(true);
});
