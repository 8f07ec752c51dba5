import { TaskflowClient } from './client';
import type { DashboardFeedTrace } from './dashboard-feed';
import type { TaskFeedTrace } from './task-feed';
import { ev, FakeGateway, fakeHttp, row, TASK_ID, until } from './testing/fake-gateway';

/**
 * `sync:required {reason: 'fell_behind'}` (issue 20): a node skipped broadcasts to this socket while it read too
 * slowly. The client must catch up as for any other reason: the dashboard joins again (its snapshot covers the
 * skipped rows) and every joined task resyncs from its last seq. Against a real in-process Socket.IO server.
 */
let gateway: FakeGateway;
const open: Array<{ close(): void }> = [];
const A = '11111111-1111-4111-8111-111111111111';
const NONE = { activeCount: 0, completedCount: 0, failedCount: 0, total: 0 };

beforeAll(async () => {
  gateway = await FakeGateway.start();
});
afterAll(async () => {
  await gateway.close();
});
afterEach(() => {
  for (const o of open.splice(0).reverse()) o.close();
});

it('re-joins the dashboard and resyncs every task by seq on sync:required for fell_behind', async () => {
  gateway.snapshot = { seq: 1, status: 'received', events: [ev(1, 'received')] };
  gateway.dashboardState = { tasks: [row(A, 1, 'received')], counts: NONE, privateCounts: NONE, nextCursor: null };
  const client = new TaskflowClient({ url: gateway.url, http: fakeHttp({}), socketOptions: { transports: ['websocket'], forceNew: true } });
  const dashboardTraces: DashboardFeedTrace[] = [];
  const taskTraces: TaskFeedTrace[] = [];
  const dashboard = client.dashboard({ onTrace: (t) => dashboardTraces.push(t) });
  const task = client.task(TASK_ID, { onTrace: (t) => taskTraces.push(t) });
  open.push(client, dashboard, task);
  await until(() => expect(dashboard.getSnapshot().loaded).toBe(true));
  await until(() => expect(task.getSnapshot().view?.last).toBe(1));
  const joinsBefore = gateway.dashboardJoins;

  // What the node skipped while the socket was behind: committed, never delivered.
  gateway.committed = [ev(2, 'analyzing'), ev(3, 'dispatched')];
  gateway.dashboardState = { ...gateway.dashboardState, tasks: [row(A, 3, 'dispatched')] };
  gateway.emitAll('sync:required', { reason: 'fell_behind' });

  await until(() => expect(task.getSnapshot().view?.last).toBe(3));
  await until(() => expect(dashboard.getSnapshot().rows.get(A)).toMatchObject({ seq: 3, status: 'dispatched' }));
  expect(gateway.dashboardJoins).toBe(joinsBefore + 1);
  expect(gateway.resyncs.at(-1)).toMatchObject({ taskIds: [TASK_ID], since: { [TASK_ID]: 1 } });
  expect(task.getSnapshot().view?.task.status).toBe('dispatched');
  expect(taskTraces.filter((t) => t.kind === 'sync_required')).toHaveLength(1);
  expect(dashboardTraces.filter((t) => t.kind === 'sync_required')).toHaveLength(1);
});
