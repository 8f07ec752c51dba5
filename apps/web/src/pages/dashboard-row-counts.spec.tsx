/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, render, screen, waitFor } from '@testing-library/react';
import type { DashboardTask } from '@taskflow/events';
import { startFakeGateway, type FakeGateway } from '../testing/fake-gateway';
import { DashboardPage } from './dashboard-page';
import { dashboardRow } from '../testing/dashboard-row';

const row: DashboardTask = dashboardRow({ taskId: '00000000-0000-4000-8000-00000000c0c0', title: 'Counted task' });

let gw: FakeGateway;
beforeAll(async () => {
  gw = await startFakeGateway();
});
afterAll(() => gw.close());

it('applies the counts a row carries (one frame per change), without a separate count event', async () => {
  gw.on('dashboard:join', (socket) => {
    socket.emit('dashboard:state', {
      tasks: [row],
      counts: { activeCount: 1, completedCount: 0, failedCount: 0 },
      privateCounts: { activeCount: 0, completedCount: 0, failedCount: 0 },
      nextCursor: null,
    });
  });
  render(<DashboardPage />, { wrapper: gw.wrapper });
  await waitFor(() => expect(screen.getByTestId('count-active').textContent).toContain('1'));
  const merged = {
    ...row,
    seq: 2,
    status: 'merged' as const,
    updatedAt: new Date().toISOString(),
    counts: { activeCount: 0, completedCount: 1, failedCount: 0, scope: 'shared' as const },
  };
  act(() => void gw.server.emit('dashboard:task_list_updated', merged));
  await waitFor(() => expect(screen.getByTestId('count-completed').textContent).toContain('1'));
  expect(screen.getByTestId('count-active').textContent).toContain('0');
  expect(screen.getAllByText('Counted task')).toHaveLength(1);
});
