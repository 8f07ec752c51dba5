/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { DashboardTask } from '@taskflow/events';
import { ALICE, SESSION, startFakeGateway, type FakeGateway } from '../testing/fake-gateway';
import { dashboardRow } from '../testing/dashboard-row';
import { DashboardPage } from './dashboard-page';

const BOB = { id: 'u-bob', username: 'bob', name: 'Bob Brown', orgId: 'o1' };
const row = (title: string, status: DashboardTask['status'], creator = ALICE, minutesAgo = 1): DashboardTask => {
  const at = new Date(Date.now() - minutesAgo * 60_000).toISOString();
  return dashboardRow({
    title,
    status,
    creator: creator.name,
    createdBy: { id: creator.id, username: creator.username, name: creator.name },
    createdAt: at,
    updatedAt: at,
  });
};

let gw: FakeGateway;
beforeAll(async () => {
  gw = await startFakeGateway();
});
afterAll(() => gw.close());

const titles = (section: string) =>
  within(screen.getByRole('region', { name: `${section} tasks` }))
    .queryAllByRole('link')
    .map((a) => a.querySelector('.title')?.textContent);

it('shows the live org view, keeps the newest update first, and moves merged tasks to Completed', async () => {
  const rows = [
    row('Alice analyzing', 'analyzing', ALICE, 3),
    row('Bob coding', 'coding', BOB, 2),
    row('Alice merged', 'merged', ALICE, 1),
    row('Bob failed', 'failed', BOB, 4),
  ];
  gw.on('dashboard:join', (socket) => {
    socket.emit('dashboard:state', { tasks: rows, counts: { activeCount: 2, completedCount: 1, failedCount: 1 }, nextCursor: null });
  });
  render(<DashboardPage />, { wrapper: gw.wrapper });
  await waitFor(() => expect(titles('active')).toEqual(['Bob coding', 'Alice analyzing']));
  expect(titles('completed')).toEqual(['Alice merged']);
  expect(titles('failed')).toEqual(['Bob failed']);
  expect(screen.getByTestId('count-active').textContent).toContain('2');
  expect(screen.getAllByText('created by @bob', { exact: false })).toHaveLength(2);
  expect(screen.getAllByText(/minutes ago/).length).toBeGreaterThan(0);

  // Filters are searched on the server: dashboard-filters.spec.tsx covers them.

  // Live: an update moves a row to the top; a stale (older seq) update changes nothing; a merge moves it to Completed.
  const updated = { ...rows[0]!, seq: 3, status: 'dispatched' as const, updatedAt: new Date().toISOString() };
  act(() => void gw.server.emit('dashboard:task_list_updated', updated));
  await waitFor(() => expect(titles('active')).toEqual(['Alice analyzing', 'Bob coding']));
  act(() => void gw.server.emit('dashboard:task_list_updated', { ...rows[0]!, seq: 2, status: 'analyzing' }));
  // Nothing changes: a time in which the stale update would have been applied.
  await new Promise((r) => setTimeout(r, 100));
  expect(screen.getAllByText('Dispatched').length).toBeGreaterThan(0);
  act(
    () => void gw.server.emit('dashboard:task_list_updated', { ...updated, seq: 9, status: 'merged', updatedAt: new Date().toISOString() }),
  );
  await waitFor(() => expect(titles('completed')).toEqual(['Alice analyzing', 'Alice merged']));
  act(() => void gw.server.emit('dashboard:task_count_changed', { activeCount: 1, completedCount: 2, failedCount: 1 }));
  await waitFor(() => expect(screen.getByTestId('count-completed').textContent).toContain('2'));
});

describe('without live updates (FEATURE_WEBSOCKET_* off)', () => {
  it('falls back to polling the REST API', async () => {
    const listed = [row('Polled task', 'received')];
    const urls: string[] = [];
    globalThis.fetch = (async (url: string) => {
      urls.push(url);
      return {
        ok: true,
        status: 200,
        json: async () => ({
          tasks: listed.map((r) => ({ ...r, id: r.taskId })),
          nextCursor: null,
          counts: { activeCount: listed.length, completedCount: 0, failedCount: 0 },
        }),
      } as Response;
    }) as typeof fetch;
    const { RealtimeContext, webHttp } = await import('../realtime/socket');
    const { SessionProvider } = await import('../auth/session');
    const { TaskflowClient } = await import('@taskflow/client');
    // As the app makes it with the websocket feature off: no socket, the feeds poll.
    const polling = new TaskflowClient({ realtime: false, http: webHttp });
    const offWrapper = ({ children }: { children: React.ReactNode }) => (
      <SessionProvider initial={SESSION}>
        <RealtimeContext.Provider
          value={{ client: polling, status: 'disabled', features: { websocket: false, dashboard: false, taskDetail: false } }}
        >
          {children}
        </RealtimeContext.Provider>
      </SessionProvider>
    );
    render(<DashboardPage />, { wrapper: offWrapper });
    await screen.findByText('Polled task');
    listed.push(row('Second polled task', 'received'));
    // The next poll, 5 s after the first; the deadline allows for a busy machine.
    await screen.findByText('Second polled task', undefined, { timeout: 15_000 });
    expect(urls.every((u) => u.startsWith('/api/tasks?limit=100'))).toBe(true);
    expect(urls.length).toBeGreaterThanOrEqual(2);
  }, 30_000);
});

it('keeps thousands of tasks manageable: 200 rows per section, then "Show more"', async () => {
  const many = Array.from({ length: 3000 }, (_, i) => row(`Task ${i}`, 'coding', ALICE, i));
  gw.on('dashboard:join', (socket) => {
    socket.emit('dashboard:state', { tasks: many, counts: { activeCount: 3000, completedCount: 0, failedCount: 0 }, nextCursor: 'more' });
  });
  const { container } = render(<DashboardPage />, { wrapper: gw.wrapper });
  // 3,000 rows in one snapshot: generous, the machines running the suite are busy.
  await screen.findByText('Task 0', undefined, { timeout: 15_000 });
  expect(container.querySelectorAll('[data-section="active"] li')).toHaveLength(200);
  fireEvent.click(screen.getByRole('button', { name: 'Show more' }));
  expect(container.querySelectorAll('[data-section="active"] li')).toHaveLength(400);
  expect(screen.getByRole('button', { name: 'Load older tasks' })).toBeTruthy();
}, 30_000);

it('shows shared + own private counts, each part updated by its own live event', async () => {
  gw.on('dashboard:join', (socket) => {
    socket.emit('dashboard:state', {
      tasks: [],
      counts: { activeCount: 3, completedCount: 1, failedCount: 0 },
      privateCounts: { activeCount: 1, completedCount: 0, failedCount: 0 },
      nextCursor: null,
    });
  });
  render(<DashboardPage />, { wrapper: gw.wrapper });
  const active = () => screen.getAllByTestId('count-active').at(-1)!.textContent;
  await waitFor(() => expect(active()).toContain('3'));
  act(() => void gw.server.emit('dashboard:task_count_changed', { activeCount: 5, completedCount: 1, failedCount: 0, scope: 'shared' }));
  await waitFor(() => expect(active()).toContain('6'));
  act(() => void gw.server.emit('dashboard:task_count_changed', { activeCount: 2, completedCount: 0, failedCount: 0, scope: 'private' }));
  await waitFor(() => expect(active()).toContain('7'));
});
