/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, render, screen, waitFor, within } from '@testing-library/react';
import type { DashboardTask } from '@taskflow/events';
import { ALICE, startFakeGateway, type FakeGateway } from '../testing/fake-gateway';
import { DashboardPage } from './dashboard-page';

const row: DashboardTask = {
  taskId: '6a2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f',
  seq: 5,
  title: 'Add CSV export',
  status: 'pr_open',
  isPrivate: false,
  priority: 'normal',
  repo: 'acme/payments',
  creator: ALICE.name,
  createdBy: { id: ALICE.id, username: ALICE.username, name: ALICE.name },
  createdAt: new Date(Date.now() - 60_000).toISOString(),
  updatedAt: new Date(Date.now() - 60_000).toISOString(),
  prUrl: 'https://github.com/acme/payments/pull/13',
  githubIssueUrl: 'https://github.com/acme/payments/issues/12',
  prState: 'draft',
  reviewState: null,
  checksState: null,
};

let gw: FakeGateway;
beforeAll(async () => {
  gw = await startFakeGateway();
  globalThis.fetch = async () =>
    ({
      ok: true,
      status: 200,
      json: async () => ({ tasks: [], nextCursor: null, counts: { activeCount: 0, completedCount: 0, failedCount: 0 } }),
    }) as Response;
  gw.on('dashboard:join', (socket) => {
    socket.emit('dashboard:state', {
      tasks: [row],
      counts: { activeCount: 1, completedCount: 0, failedCount: 0 },
      privateCounts: { activeCount: 0, completedCount: 0, failedCount: 0 },
      nextCursor: null,
    });
  });
});
afterAll(() => gw.close());

const theRow = () => screen.getByText('Add CSV export').closest('li')!;

it('shows the issue and PR links and the PR state on the row, live, and a closed PR as closed-unmerged', async () => {
  render(<DashboardPage />, { wrapper: gw.wrapper });
  await screen.findByText('Add CSV export');
  const r = within(theRow());
  expect(r.getByTestId('row-issue-link').getAttribute('href')).toBe(row.githubIssueUrl);
  expect(r.getByTestId('row-pr-link').getAttribute('href')).toBe(row.prUrl);
  expect(r.getByTestId('row-pr-link').getAttribute('rel')).toBe('noopener noreferrer');
  expect(r.getByText('Draft')).toBeTruthy();
  expect(r.getByText('PR open')).toBeTruthy();

  const update = (patch: Partial<DashboardTask>, seq: number) =>
    act(() => void gw.server.emit('dashboard:task_list_updated', { ...row, ...patch, seq, updatedAt: new Date().toISOString() }));
  update({ prState: 'ready', reviewState: 'approved', checksState: 'failing' }, 6);
  await waitFor(() => expect(within(theRow()).getByText('CI failing')).toBeTruthy());
  expect(within(theRow()).getByText('Ready for review')).toBeTruthy();
  expect(within(theRow()).getByText('Approved')).toBeTruthy();
  expect(within(theRow()).queryByText('Draft')).toBeNull();
  update({ prState: 'ready', reviewState: 'approved', checksState: 'passing' }, 7);
  await waitFor(() => expect(within(theRow()).getByText('CI passing')).toBeTruthy());
  update({ status: 'failed', prState: 'closed' }, 8);
  await waitFor(() => expect(within(theRow()).getByText('Closed, unmerged')).toBeTruthy());
  expect(within(theRow()).queryByText('Failed')).toBeNull();
  expect(within(theRow()).queryByText('CI passing')).toBeNull();
});
