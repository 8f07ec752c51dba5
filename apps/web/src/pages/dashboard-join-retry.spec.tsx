/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { render, screen } from '@testing-library/react';
import type { DashboardTask } from '@taskflow/events';
import { ALICE, Refusal, startFakeGateway, type FakeGateway } from '../testing/fake-gateway';
import { DashboardPage } from './dashboard-page';

/** A dashboard join refused for a reason that passes (the node's database busy) is sent again until answered. */
const row: DashboardTask = {
  taskId: '7b2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f',
  seq: 2,
  title: 'Only the live snapshot has this row',
  status: 'analyzing',
  isPrivate: false,
  priority: 'normal',
  repo: 'acme/payments',
  creator: ALICE.name,
  createdBy: { id: ALICE.id, username: ALICE.username, name: ALICE.name },
  createdAt: new Date(Date.now() - 60_000).toISOString(),
  updatedAt: new Date(Date.now() - 60_000).toISOString(),
  prUrl: null,
  githubIssueUrl: null,
  prState: null,
  reviewState: null,
  checksState: null,
};

let gw: FakeGateway;
const refusals = ['UNAVAILABLE', 'INTERNAL'];
let joins = 0;
beforeAll(async () => {
  gw = await startFakeGateway();
  globalThis.fetch = async () =>
    ({
      ok: true,
      status: 200,
      json: async () => ({ tasks: [], nextCursor: null, counts: { activeCount: 0, completedCount: 0, failedCount: 0 } }),
    }) as Response;
  gw.on('dashboard:join', (socket) => {
    joins += 1;
    const refused = refusals.shift();
    if (refused) return new Refusal(refused);
    socket.emit('dashboard:state', {
      tasks: [row],
      counts: { activeCount: 1, completedCount: 0, failedCount: 0 },
      privateCounts: { activeCount: 0, completedCount: 0, failedCount: 0 },
      nextCursor: null,
    });
    return undefined;
  });
});
afterAll(() => gw.close());

it('joins again after UNAVAILABLE and INTERNAL, and shows what the snapshot holds', async () => {
  render(<DashboardPage />, { wrapper: gw.wrapper });
  await screen.findByText(row.title, undefined, { timeout: 10_000 });
  expect(joins).toBe(3);
});
