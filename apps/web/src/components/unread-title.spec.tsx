/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, render, waitFor } from '@testing-library/react';
import type { Notification } from '@taskflow/events';
import { NotificationsProvider } from '../realtime/notifications';
import { startFakeGateway, type FakeGateway } from '../testing/fake-gateway';
import { APP_TITLE, UnreadTitle } from './unread-title';

const note = (n: number): Notification => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  kind: 'pr_ready',
  taskId: '5a2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f',
  taskTitle: 'Add CSV export',
  seq: 4,
  message: '“Add CSV export”: pull request ready for review',
  createdAt: new Date().toISOString(),
  readAt: null,
});

let gw: FakeGateway;
const unread = 2;
beforeAll(async () => {
  gw = await startFakeGateway();
  // The network boundary only: the provider's own feed runs unchanged.
  globalThis.fetch = (async (url: string) => {
    const json = (data: unknown) => ({ ok: true, status: 200, json: async () => data }) as Response;
    if (url === '/api/notifications') return json({ notifications: [], unreadCount: unread });
    if (url === '/api/notifications/read') return json({ ids: [], unreadCount: 0 });
    return json({});
  }) as typeof fetch;
});
afterAll(() => gw.close());

it('shows the unread count in the tab title, follows it live, and drops the prefix at zero', async () => {
  document.title = APP_TITLE;
  const { unmount } = render(
    <NotificationsProvider>
      <UnreadTitle />
    </NotificationsProvider>,
    { wrapper: gw.wrapper },
  );
  await waitFor(() => expect(document.title).toBe('(2) Taskflow Live'));
  act(() => void gw.server.emit('notification:created', { notification: note(1), unreadCount: 3 }));
  await waitFor(() => expect(document.title).toBe('(3) Taskflow Live'));
  act(() => void gw.server.emit('notification:read', { ids: [], all: true, unreadCount: 0 }));
  await waitFor(() => expect(document.title).toBe('Taskflow Live'));
  act(() => void gw.server.emit('notification:created', { notification: note(2), unreadCount: 1 }));
  await waitFor(() => expect(document.title).toBe('(1) Taskflow Live'));
  unmount();
  expect(document.title).toBe('Taskflow Live');
});
