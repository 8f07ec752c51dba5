/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, render, screen, waitFor } from '@testing-library/react';
import type { Notification } from '@taskflow/events';
import { startFakeGateway, type FakeGateway } from '../testing/fake-gateway';
import { NotificationsProvider, useNotifications } from './notifications';

/**
 * A node whose Redis subscription was interrupted may have lost `notification:created`
 * broadcasts meanwhile; its `sync:required` makes the bell reload from the server,
 * as a reconnect does.
 */
const note = (n: number): Notification => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  kind: 'pr_ready',
  taskId: '5a2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f',
  taskTitle: 'Add CSV export',
  seq: n,
  message: `notification ${n}`,
  createdAt: new Date().toISOString(),
  readAt: null,
});

let gw: FakeGateway;
/** What the server has committed: the test adds to it behind the client's back. */
let stored: Notification[] = [note(1)];
let loads = 0;
beforeAll(async () => {
  gw = await startFakeGateway();
  // The network boundary only: the provider's own code runs unchanged.
  globalThis.fetch = (async (url: string) => {
    if (url === '/api/notifications') loads += 1;
    const data = url === '/api/notifications' ? { notifications: stored, unreadCount: stored.length } : {};
    return { ok: true, status: 200, json: async () => data } as Response;
  }) as typeof fetch;
});
afterAll(() => gw.close());

function Probe() {
  const { unreadCount, notifications } = useNotifications();
  return <output data-testid="probe">{`${unreadCount}:${notifications.map((n) => n.seq).join(',')}`}</output>;
}

it('reloads the notifications when the server says sync:required', async () => {
  render(
    <NotificationsProvider>
      <Probe />
    </NotificationsProvider>,
    { wrapper: gw.wrapper },
  );
  await waitFor(() => expect(screen.getByTestId('probe').textContent).toBe('1:1'));
  const loadsBefore = loads;

  // Two notifications whose broadcasts this node missed.
  stored = [note(3), note(2), note(1)];
  act(() => void gw.server.emit('sync:required', { reason: 'subscription_interrupted' }));
  await waitFor(() => expect(screen.getByTestId('probe').textContent).toBe('3:3,2,1'));
  expect(loads).toBe(loadsBefore + 1);
  expect(gw.client.connected).toBe(true);
});
