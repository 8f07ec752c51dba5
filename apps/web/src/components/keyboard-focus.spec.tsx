/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { useState } from 'react';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { NotificationsProvider } from '../realtime/notifications';
import { startFakeGateway, type FakeGateway } from '../testing/fake-gateway';
import { CreateTaskForm } from './create-task-form';
import { NotificationBell } from './notification-bell';

let gw: FakeGateway;
beforeAll(async () => {
  gw = await startFakeGateway();
});
afterAll(() => gw.close());
beforeEach(() => {
  // The network boundary only: a create refused with the API's validation details.
  globalThis.fetch = (async (url: string) => {
    if (url === '/api/tasks') {
      return {
        ok: false,
        status: 400,
        json: async () => ({
          error: 'INVALID_PAYLOAD',
          message: 'Invalid request body',
          details: [{ path: '/title', message: 'must NOT have fewer than 3 characters' }],
        }),
      } as Response;
    }
    return { ok: true, status: 200, json: async () => ({ notifications: [], unreadCount: 0 }) } as Response;
  }) as typeof fetch;
});

function Dashboard() {
  const [creating, setCreating] = useState(false);
  return (
    <main>
      <button type="button" onClick={() => setCreating(true)}>
        New task
      </button>
      {creating && <CreateTaskForm onCancel={() => setCreating(false)} onCreated={() => setCreating(false)} />}
    </main>
  );
}

describe('the create form', () => {
  it('takes focus into its first field when opened, and Escape closes it with focus back on “New task”', () => {
    render(<Dashboard />, { wrapper: gw.wrapper });
    const opener = screen.getByRole('button', { name: 'New task' });
    opener.focus();
    fireEvent.click(opener);
    expect(document.activeElement).toBe(screen.getByLabelText('Title'));
    fireEvent.keyDown(screen.getByLabelText('Description'), { key: 'Escape' });
    expect(screen.queryByRole('form', { name: 'New task' })).toBeNull();
    expect(document.activeElement).toBe(opener);
  });

  it('ties the API’s validation message to the field it names (aria-invalid, aria-describedby), not to the others', async () => {
    render(<Dashboard />, { wrapper: gw.wrapper });
    fireEvent.click(screen.getByRole('button', { name: 'New task' }));
    fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'abc' } });
    fireEvent.change(screen.getByLabelText('Description'), { target: { value: 'Something to do.' } });
    fireEvent.submit(screen.getByRole('form', { name: 'New task' }));
    const alert = await screen.findByRole('alert');
    const title = screen.getByLabelText('Title');
    expect(title.getAttribute('aria-invalid')).toBe('true');
    expect(title.getAttribute('aria-describedby')).toBe(alert.id);
    expect(alert.textContent).toContain('Invalid request body');
    expect(screen.getByLabelText('Description').getAttribute('aria-invalid')).toBeNull();
  });
});

describe('the notification bell', () => {
  const ui = () =>
    render(
      <NotificationsProvider>
        <NotificationBell />
        <button type="button">Elsewhere</button>
      </NotificationsProvider>,
      { wrapper: gw.wrapper },
    );

  it('closes on Escape from inside its list and gives focus back to the bell', async () => {
    ui();
    const bell = await screen.findByRole('button', { name: /^Notifications, \d+ unread$/ });
    bell.focus();
    fireEvent.click(bell);
    expect(bell.getAttribute('aria-expanded')).toBe('true');
    const markAll = screen.getByRole('button', { name: 'Mark all read' });
    markAll.focus();
    fireEvent.keyDown(markAll, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Notifications' })).toBeNull());
    expect(bell.getAttribute('aria-expanded')).toBe('false');
    expect(document.activeElement).toBe(bell);
  });

  it('closes when a click or focus lands outside it', async () => {
    ui();
    const bell = await screen.findByRole('button', { name: /^Notifications, \d+ unread$/ });
    fireEvent.click(bell);
    fireEvent.mouseDown(screen.getByRole('button', { name: 'Preferences' }));
    expect(screen.getByRole('region', { name: 'Notifications' })).toBeTruthy();
    fireEvent.mouseDown(screen.getByRole('button', { name: 'Elsewhere' }));
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Notifications' })).toBeNull());
    fireEvent.click(bell);
    screen.getByRole('button', { name: 'Elsewhere' }).focus();
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Notifications' })).toBeNull());
  });
});
