/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { TimelineEvent } from '@taskflow/events';
import { ALICE, SESSION, startFakeGateway, type FakeGateway } from '../testing/fake-gateway';
import { publicTask, timelineEvent } from '../testing/task-detail';
import { TaskDetailPage } from './task-detail-page';

const taskId = '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
const ev = (seq: number, eventType: TimelineEvent['eventType'], payload: Record<string, unknown>) =>
  timelineEvent(taskId, seq, eventType, payload);
const task = publicTask({
  id: taskId,
  title: 'Fix it',
  description: 'It is broken.',
  status: 'needs_clarification',
  seq: 3,
  createdBy: { id: ALICE.id, username: 'alice', name: ALICE.name },
  clarificationQuestions: ['Which page?', 'What should happen?'],
});

let gw: FakeGateway;
beforeAll(async () => {
  gw = await startFakeGateway();
  gw.on('task:join', (socket) => {
    void socket.join('t');
    socket.emit('task:state', {
      taskId,
      seq: 3,
      task,
      events: [
        ev(1, 'created', { status: 'received' }),
        ev(2, 'analyzing', { status: 'analyzing' }),
        ev(3, 'clarification_needed', { status: 'needs_clarification', questions: task.clarificationQuestions }),
      ],
    });
    return { seq: 3 };
  });
});
afterAll(() => gw.close());

it('walks the clarification form through its states: answers, sending (disabled), re-analyzing, then the issue link', async () => {
  let answer: (res: Response) => void = () => undefined;
  const requests: Array<{ url: string; body: unknown }> = [];
  // The network boundary only: the page's own code runs unchanged.
  globalThis.fetch = ((url: string, init: RequestInit) => {
    requests.push({ url, body: JSON.parse(String(init.body)) });
    return new Promise<Response>((resolve) => (answer = resolve));
  }) as typeof fetch;

  render(<TaskDetailPage taskId={taskId} />, { wrapper: gw.wrapper });
  const form = await screen.findByRole('form', { name: 'Clarification' });
  expect(screen.getByText('Which page?')).toBeTruthy();
  fireEvent.change(screen.getByLabelText('Which page?'), { target: { value: 'Checkout' } });
  fireEvent.change(screen.getByLabelText('What should happen?'), { target: { value: 'Payments succeed' } });
  fireEvent.submit(form);

  const sending = await screen.findByRole('button', { name: 'Sending…' });
  expect((sending as HTMLButtonElement).disabled).toBe(true);
  expect(requests).toEqual([{ url: `/api/tasks/${taskId}/clarify`, body: { answers: ['Checkout', 'Payments succeed'] } }]);
  await act(async () => answer({ ok: true, status: 202, json: async () => ({ task: { ...task, status: 'analyzing' } }) } as Response));

  act(
    () =>
      void gw.server.to('t').emit('task:event_added', {
        taskId,
        seq: 4,
        event: ev(4, 'clarified', { status: 'analyzing', clarificationAnswers: ['Checkout', 'Payments succeed'] }),
      }),
  );
  await screen.findByText(/Re-analyzing/);
  expect(screen.queryByRole('form', { name: 'Clarification' })).toBeNull();

  act(
    () =>
      void gw.server.to('t').emit('task:event_added', {
        taskId,
        seq: 5,
        event: ev(5, 'dispatched', {
          status: 'dispatched',
          issueNumber: 12,
          issueUrl: 'https://github.com/acme/payments/issues/12',
          githubBranch: 'taskflow/3f2b8c1e-8d9a',
        }),
      }),
  );
  const link = await screen.findByTestId('issue-link');
  expect(link.getAttribute('href')).toBe('https://github.com/acme/payments/issues/12');
  expect(link.getAttribute('target')).toBe('_blank');
  expect(link.getAttribute('rel')).toBe('noopener noreferrer');
  await waitFor(() => expect(screen.queryByText(/Re-analyzing/)).toBeNull());
  expect(
    screen
      .getAllByRole('listitem')
      .filter((li) => li.getAttribute('data-event'))
      .map((li) => li.getAttribute('data-event')),
  ).toEqual(['created', 'analyzing', 'clarification_needed', 'clarified', 'dispatched']);
});

it('keeps an answer given while offline as pending (discardable), and sends nothing until the page is back online', async () => {
  const requests: string[] = [];
  globalThis.fetch = ((url: string) => {
    requests.push(url);
    return Promise.reject(new TypeError('Failed to fetch'));
  }) as typeof fetch;
  const { RealtimeContext } = await import('../realtime/socket');
  const { SessionProvider } = await import('../auth/session');
  const { OfflineActionsSync } = await import('../offline/offline-actions');
  const { memoryActionStore } = await import('../offline/offline-action-store');
  const store = memoryActionStore();
  const offline = ({ children }: { children: React.ReactNode }) => (
    <SessionProvider initial={SESSION}>
      <RealtimeContext.Provider
        value={{ client: gw.client, status: 'offline', features: { websocket: true, dashboard: true, taskDetail: true } }}
      >
        <OfflineActionsSync store={store} />
        {children}
      </RealtimeContext.Provider>
    </SessionProvider>
  );
  render(<TaskDetailPage taskId={taskId} />, { wrapper: offline });
  const form = await screen.findByRole('form', { name: 'Clarification' });
  const send = screen.getByRole<HTMLButtonElement>('button', { name: 'Send answers when back online' });
  expect(send.disabled).toBe(false);
  expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Cancel task' }).disabled).toBe(false);
  fireEvent.change(screen.getByLabelText('Which page?'), { target: { value: 'Checkout' } });
  fireEvent.change(screen.getByLabelText('What should happen?'), { target: { value: 'Payments succeed' } });
  fireEvent.submit(form);

  const pending = await screen.findByTestId('pending-actions');
  expect(pending.textContent).toContain('Your answers');
  expect(pending.textContent).toContain('Checkout / Payments succeed');
  expect(screen.getByTestId('pending-badge').textContent).toBe('1 action waiting to be sent');
  expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Answers waiting to be sent' }).disabled).toBe(true);
  expect(await store.all()).toMatchObject([{ taskId, action: { kind: 'clarify', answers: ['Checkout', 'Payments succeed'] } }]);
  expect(requests.filter((u) => u.includes('/clarify'))).toEqual([]);

  fireEvent.click(screen.getByRole('button', { name: 'Discard your answers' }));
  await waitFor(() => expect(screen.queryByTestId('pending-actions')).toBeNull());
  expect(screen.queryByTestId('pending-badge')).toBeNull();
  expect(await store.all()).toEqual([]);
  expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Send answers when back online' }).disabled).toBe(false);
});
