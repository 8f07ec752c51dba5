/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { Notification } from '@taskflow/events';
import { NotificationsProvider } from '../realtime/notifications';
import { startFakeGateway, type FakeGateway } from '../testing/fake-gateway';
import { NotificationBell } from './notification-bell';
import { NotificationToasts } from './notification-toasts';

const taskId = '5a2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
const note = (id: string, kind: Notification['kind'], message: string, readAt: string | null = null): Notification => ({
  id,
  kind,
  taskId,
  taskTitle: 'Add CSV export',
  seq: 4,
  message,
  createdAt: new Date().toISOString(),
  readAt,
});
const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

let gw: FakeGateway;
const requests: Array<{ method: string; url: string; body?: unknown }> = [];
let prefs = ['needs_clarification', 'pr_ready', 'changes_requested', 'ci_failed', 'merged', 'failed'];
beforeAll(async () => {
  gw = await startFakeGateway();
  // The network boundary only: the components' own code runs unchanged.
  globalThis.fetch = (async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    requests.push({ method, url, body });
    const json = (data: unknown) => ({ ok: true, status: 200, json: async () => data }) as Response;
    if (url === '/api/notifications') return json({ notifications: [note(ID(1), 'failed', '“Old task” failed')], unreadCount: 1 });
    if (url === '/api/notifications/read') return json({ ids: body.all ? [ID(1), ID(2)] : body.ids, unreadCount: body.all ? 0 : 1 });
    if (url === '/api/notifications/preferences') {
      if (method === 'PUT') prefs = body.kinds;
      return json({ kinds: prefs });
    }
    return json({});
  }) as typeof fetch;
});
afterAll(() => gw.close());

const ui = () =>
  render(
    <NotificationsProvider>
      <NotificationBell />
      <NotificationToasts />
    </NotificationsProvider>,
    { wrapper: gw.wrapper },
  );

it('shows the unread count, a live notification as a toast with a link and in the list, and a read in another tab', async () => {
  ui();
  expect((await screen.findByTestId('unread-count')).textContent).toBe('1');

  act(
    () =>
      void gw.server.emit('notification:created', {
        notification: note(ID(2), 'pr_ready', '“Add CSV export”: pull request ready for review'),
        unreadCount: 2,
      }),
  );
  await waitFor(() => expect(screen.getByTestId('unread-count').textContent).toBe('2'));
  const toast = within(screen.getByRole('status'));
  expect(toast.getByRole('link', { name: '“Add CSV export”: pull request ready for review' }).getAttribute('href')).toBe(
    `/tasks/${taskId}`,
  );

  fireEvent.click(screen.getByRole('button', { name: 'Notifications, 2 unread' }));
  const list = within(screen.getByRole('region', { name: 'Notifications' }));
  expect(list.getAllByRole('listitem').map((li) => li.getAttribute('data-kind'))).toEqual(['pr_ready', 'failed']);

  // Another tab marked one read: this tab follows.
  act(() => void gw.server.emit('notification:read', { ids: [ID(2)], all: false, unreadCount: 1 }));
  await waitFor(() => expect(screen.getByTestId('unread-count').textContent).toBe('1'));
  expect(list.getAllByRole('listitem')[0]!.className).toBe('read');

  fireEvent.click(list.getByRole('button', { name: 'Mark all read' }));
  await waitFor(() => expect(screen.queryByTestId('unread-count')).toBeNull());
  expect(requests.find((r) => r.url === '/api/notifications/read')?.body).toEqual({ all: true });
  expect(list.getByRole<HTMLButtonElement>('button', { name: 'Mark all read' }).disabled).toBe(true);
});

it('saves preferences per kind, and asks the browser before turning system notifications on', async () => {
  const requestPermission = jest.fn(async () => 'denied');
  Object.assign(window, { Notification: Object.assign(function Notification() {}, { permission: 'default', requestPermission }) });
  ui();
  fireEvent.click(await screen.findByRole('button', { name: /Notifications, \d+ unread/ }));
  fireEvent.click(screen.getByRole('button', { name: 'Preferences' }));
  const merged = await screen.findByRole('checkbox', { name: 'Merged' });
  expect((merged as HTMLInputElement).checked).toBe(true);
  fireEvent.click(merged);
  await waitFor(() => expect(screen.getByRole<HTMLInputElement>('checkbox', { name: 'Merged' }).checked).toBe(false));
  expect(requests.filter((r) => r.method === 'PUT').at(-1)?.body).toEqual({
    kinds: ['needs_clarification', 'pr_ready', 'changes_requested', 'ci_failed', 'failed'],
  });

  const browser = screen.getByRole('checkbox', { name: /Browser notifications/ });
  fireEvent.click(browser);
  await waitFor(() => expect(requestPermission).toHaveBeenCalled());
  // Permission refused: the opt-in stays off.
  await waitFor(() => expect((browser as HTMLInputElement).checked).toBe(false));
  expect(localStorage.getItem('taskflow.browserNotifications')).toBe('off');
});

it('shows a system notification only when opted in, permitted, and the tab is hidden', async () => {
  const shown: string[] = [];
  const NotificationMock = Object.assign(
    function Notification(this: { onclick?: unknown }, _title: string, opts: { body: string }) {
      shown.push(opts.body);
    },
    { permission: 'granted', requestPermission: async () => 'granted' },
  );
  Object.assign(window, { Notification: NotificationMock });
  localStorage.setItem('taskflow.browserNotifications', 'on');
  ui();
  await screen.findAllByRole('button', { name: /Notifications/ });
  act(() => void gw.server.emit('notification:created', { notification: note(ID(3), 'merged', 'visible tab'), unreadCount: 2 }));
  await screen.findAllByText('visible tab');
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
  act(() => void gw.server.emit('notification:created', { notification: note(ID(4), 'ci_failed', 'hidden tab'), unreadCount: 3 }));
  await screen.findAllByText('hidden tab');
  expect(shown).toEqual(['hidden tab']);
});
