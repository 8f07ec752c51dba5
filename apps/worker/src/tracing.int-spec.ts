import { randomUUID } from 'node:crypto';
import { createBranchEvent, sendWebhook } from '@taskflow/github-sim';
import { rooms, taskBranch } from '@taskflow/events';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import {
  eventually,
  login,
  openSocket,
  spawnApp,
  startFakeOtlpCollector,
  type AppProcess,
  type CollectedSpan,
  type TestSocket,
} from '@taskflow/testing';
import { startPipelineStack, WEBHOOK_SECRET, type PipelineStack } from './testing/pipeline-stack';

/**
 * OpenTelemetry traces of one change, with tracing on in a real server process and a real worker process exporting
 * OTLP/HTTP to a stand-in collector: the webhook request, the job it queued, the transaction, the outbox publish and
 * the emit on the node whose socket watches the task are one trace, each span the child of the one before, across
 * both processes (the context travels in the job data, the event row and the broadcast).
 */
jest.setTimeout(120_000);

const CHAIN = ['webhook.receive', 'job apply-webhook', 'task.transition', 'outbox.publish', 'socket.emit'];
let collector: Awaited<ReturnType<typeof startFakeOtlpCollector>>;
let stack: PipelineStack;
let worker: AppProcess;
let watcher: TestSocket;

beforeAll(async () => {
  collector = await startFakeOtlpCollector();
  const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '200' };
  stack = await startPipelineStack({ serverEnv: tracing });
  worker = spawnApp('apps/worker/src/main.ts', { ...stack.workerEnv, ...tracing });
  watcher = await openSocket(stack.url, { token: await login(stack.url, 'alice', FIXTURE_PASSWORD) });
  // Starts a server process (up to 60 s on a busy machine, see startPipelineStack): a budget above that.
}, 150_000);

afterAll(async () => {
  watcher?.close();
  await worker?.stop();
  await stack?.close();
  await collector?.close();
});

it('follows a webhook to the socket in one trace: request → job → transaction → outbox publish → emit', async () => {
  const { id: taskId } = await stack.dispatchedTask(7);
  const joined = await watcher.request('task:join', { taskId });
  expect(joined.ok).toBe(true);
  const deliveryId = randomUUID();
  const res = await sendWebhook(
    `${stack.url}/api/webhooks/github`,
    'create',
    createBranchEvent({ repo: 'acme/payments', branch: taskBranch(taskId) }),
    { secret: WEBHOOK_SECRET, deliveryId },
  );
  expect(res.status).toBe(202);
  await watcher.waitFor((e) => e.event === 'task:coding' && e.payload.taskId === taskId, 'task:coding at the watcher', 30_000);

  // A batch may also hold the fixture's untraced events, if the publisher had not sent them yet: it continues the
  // traced one all the same.
  let inTrace: CollectedSpan[] = [];
  const chain = await eventually(
    'every span of the delivery’s trace at the collector',
    async () => {
      const spans = collector.spans();
      const receive = spans.find((s) => s.name === 'webhook.receive' && s.attributes['github.delivery'] === deliveryId);
      if (!receive) return undefined;
      inTrace = spans.filter((s) => s.traceId === receive.traceId);
      // The emit of the status event to the watched task's room, not another broadcast of the same publish.
      const found = CHAIN.map((name) =>
        inTrace.find((s) => s.name === name && (name !== 'socket.emit' || s.attributes['socket.io.event'] === 'task:coding')),
      );
      return found.every(Boolean) ? (found as CollectedSpan[]) : undefined;
    },
    30_000,
  ).catch((err: Error) => {
    const had = inTrace.map((s) => `${s.service} ${s.name} (${s.spanId} ← ${s.parentSpanId || 'root'})`).join('; ');
    throw new Error(`${err.message}; the trace had: ${had || 'no webhook.receive yet'}`);
  });
  for (let i = 1; i < chain.length; i++) {
    expect({ span: chain[i]!.name, parent: chain[i]!.parentSpanId }).toEqual({ span: chain[i]!.name, parent: chain[i - 1]!.spanId });
  }
  expect(chain.map((s) => s.service)).toEqual([
    'taskflow-server',
    'taskflow-worker',
    'taskflow-worker',
    'taskflow-worker',
    'taskflow-server',
  ]);
  expect(chain[3]!.attributes).toMatchObject({ 'task.id': taskId });
  expect(chain[4]!.attributes).toMatchObject({ 'socket.io.rooms': [rooms.task(taskId)] });
  expect(chain[4]!.attributes['socket.io.sockets']).toBeGreaterThanOrEqual(1);
  // The context went only where it was carried: the event row, and no client payload.
  const row = await stack.f.db
    .selectFrom('taskEvents')
    .select(['traceParent'])
    .where('taskId', '=', taskId)
    .where('eventType', '=', 'coding')
    .executeTakeFirstOrThrow();
  expect(row.traceParent).toBe(`00-${chain[0]!.traceId}-${chain[2]!.spanId}-01`);
  expect(JSON.stringify(watcher.events.filter((e) => e.payload?.taskId === taskId))).not.toContain(chain[0]!.traceId);
});

it('records nothing of the events committed without tracing (the fixture’s, in this test process)', async () => {
  const { id: taskId } = await stack.dispatchedTask(8);
  const rows = await stack.f.db.selectFrom('taskEvents').select(['traceParent']).where('taskId', '=', taskId).execute();
  expect(rows.map((r) => r.traceParent)).toEqual([null, null, null]);
});
