/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { DashboardTask } from '@taskflow/events';
import { ALICE, startFakeGateway, type FakeGateway } from '../testing/fake-gateway';
import { dashboardRow } from '../testing/dashboard-row';
import { DashboardPage } from './dashboard-page';

const row = (title: string, over: Partial<DashboardTask> = {}): DashboardTask => dashboardRow({ title, repo: 'acme/web', ...over });

let gw: FakeGateway;
let urls: string[];
/** What the fake server answers to GET /api/tasks; a function of the query. */
let answer: (query: URLSearchParams) => { status: number; body: unknown };

beforeAll(async () => {
  gw = await startFakeGateway();
  // One task, whatever the number of joins (a re-join after a reconnect sends the same task again).
  const unfiltered = row('Unfiltered row', { repo: 'acme/payments' });
  gw.on('dashboard:join', (socket) => {
    socket.emit('dashboard:state', {
      tasks: [unfiltered],
      counts: { activeCount: 1, completedCount: 0, failedCount: 0 },
      nextCursor: null,
    });
  });
});
afterAll(() => gw.close());
beforeEach(() => {
  urls = [];
  globalThis.fetch = (async (url: string) => {
    urls.push(url);
    const { status, body } = answer(new URL(url, 'http://x').searchParams);
    return { ok: status < 400, status, json: async () => body } as Response;
  }) as typeof fetch;
});

const page = (tasks: DashboardTask[], counts = { activeCount: tasks.length, completedCount: 0, failedCount: 0 }) => ({
  status: 200,
  body: { tasks: tasks.map((t) => ({ ...t, id: t.taskId })), nextCursor: null, counts },
});
const listed = () =>
  within(screen.getByRole('region', { name: 'active tasks' }))
    .queryAllByRole('link')
    .map((a) => a.querySelector('.title')?.textContent);
const taskQueries = () => urls.filter((u) => u.startsWith('/api/tasks?')).map((u) => new URL(u, 'http://x').searchParams);

it('opens the filtered view a shared link names, searched on the server, with its counts', async () => {
  window.history.replaceState({}, '', '/?q=csv&repo=acme%2Fweb&status=coding&status=failed');
  const csv = row('Add CSV export');
  answer = () => page([csv], { activeCount: 7, completedCount: 2, failedCount: 1 });
  render(<DashboardPage />, { wrapper: gw.wrapper });
  await waitFor(() => expect(listed()).toEqual(['Add CSV export']));
  const q = taskQueries()[0]!;
  expect([q.get('q'), q.get('repo'), q.getAll('status')]).toEqual(['csv', 'acme/web', ['coding', 'failed']]);
  expect(screen.getByLabelText<HTMLInputElement>('Search').value).toBe('csv');
  expect(screen.getByLabelText<HTMLSelectElement>('Repository').value).toBe('acme/web');
  // Counts are the filtered view's (from the server), not the org's.
  expect(screen.getByTestId('count-active').textContent).toContain('7');
  expect(screen.getByTestId('count-completed').textContent).toContain('2');
  expect(screen.queryByText('Unfiltered row')).toBeNull();
});

it('writes every control into the address and asks the server again', async () => {
  window.history.replaceState({}, '', '/');
  answer = (q) => page(q.get('q') === 'refund' ? [row('Refund flow')] : []);
  render(<DashboardPage />, { wrapper: gw.wrapper });
  await screen.findByText('Unfiltered row');
  fireEvent.change(screen.getByLabelText('Search'), { target: { value: 'refund' } });
  await waitFor(() => expect(listed()).toEqual(['Refund flow']));
  fireEvent.change(screen.getByLabelText('Priority'), { target: { value: 'urgent' } });
  fireEvent.click(screen.getByRole('checkbox', { name: 'failed' }));
  fireEvent.change(screen.getByLabelText('Created from'), { target: { value: '2026-03-01' } });
  fireEvent.click(screen.getByRole('button', { name: 'My tasks' }));
  const address = new URLSearchParams(window.location.search);
  expect(Object.fromEntries(address)).toEqual({
    q: 'refund',
    priority: 'urgent',
    status: 'failed',
    createdFrom: '2026-03-01',
    creator: ALICE.id,
  });
  await waitFor(() =>
    expect(Object.fromEntries(taskQueries().at(-1)!)).toMatchObject({
      q: 'refund',
      priority: 'urgent',
      status: 'failed',
      createdFrom: '2026-03-01',
    }),
  );
  fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
  expect(window.location.search).toBe('');
  await screen.findByText('Unfiltered row');
});

it('applies live rows through the shared predicate: matching rows arrive, leaving rows go, unknown ones ask the server', async () => {
  window.history.replaceState({}, '', '/?repo=acme%2Fweb&status=coding');
  const a = row('Web task');
  answer = () => page([a]);
  render(<DashboardPage />, { wrapper: gw.wrapper });
  await waitFor(() => expect(listed()).toEqual(['Web task']));
  const before = taskQueries().length;
  act(
    () =>
      void gw.server.emit(
        'dashboard:task_list_updated',
        row('Payments task', { repo: 'acme/payments', updatedAt: new Date().toISOString() }),
      ),
  );
  const fresh = row('New web task', { updatedAt: new Date().toISOString() });
  answer = () => page([fresh, a]);
  act(() => void gw.server.emit('dashboard:task_list_updated', fresh));
  await waitFor(() => expect(listed()).toEqual(['New web task', 'Web task']));
  // The server's truth moves with the live rows: the throttled reload below may land before or after them
  // (on a busy machine, after), and must not bring back a row the server no longer lists.
  answer = () => page([fresh]);
  act(() => void gw.server.emit('dashboard:task_list_updated', { ...a, seq: 2, status: 'pr_open', updatedAt: new Date().toISOString() }));
  await waitFor(() => expect(listed()).toEqual(['New web task']));
  // The counts of the filtered view are reloaded after those changes (throttled).
  await waitFor(() => expect(taskQueries().length).toBeGreaterThan(before));

  // With free text the browser cannot decide (stemming): an unseen row makes it ask the server.
  window.history.replaceState({}, '', '/?q=export');
  window.dispatchEvent(new PopStateEvent('popstate'));
  const exported = row('Export invoices', { updatedAt: new Date().toISOString() });
  answer = (q) => page(q.get('q') === 'export' && urls.length > 0 ? [exported] : []);
  await waitFor(() => expect(taskQueries().at(-1)!.get('q')).toBe('export'));
  const asked = taskQueries().length;
  act(() => void gw.server.emit('dashboard:task_list_updated', exported));
  await waitFor(() => expect(taskQueries().length).toBeGreaterThan(asked));
  await waitFor(() => expect(listed()).toEqual(['Export invoices']));
});

it('shows the server’s reason when it refuses a filter', async () => {
  window.history.replaceState({}, '', '/?updatedFrom=2026-05-02&updatedTo=2026-05-01');
  answer = () => ({ status: 400, body: { error: 'INVALID_FILTER', message: 'Invalid filter: updatedFrom must not be after updatedTo' } });
  render(<DashboardPage />, { wrapper: gw.wrapper });
  expect((await screen.findByRole('alert')).textContent).toContain('updatedFrom must not be after updatedTo');
});
