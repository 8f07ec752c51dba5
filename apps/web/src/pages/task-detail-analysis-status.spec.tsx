/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, render, screen } from '@testing-library/react';
import type { TimelineEvent } from '@taskflow/events';
import { ALICE, startFakeGateway, type FakeGateway } from '../testing/fake-gateway';
import { publicTask, timelineEvent } from '../testing/task-detail';
import { TaskDetailPage } from './task-detail-page';

const taskId = '5d1e8c2a-7b3f-4e6d-9a0c-1b2c3d4e5f60';
const ev = (seq: number, eventType: TimelineEvent['eventType'], payload: Record<string, unknown>) =>
  timelineEvent(taskId, seq, eventType, payload);
const analysing = publicTask({
  id: taskId,
  title: 'Analyse me',
  status: 'analyzing',
  seq: 2,
  createdBy: { id: ALICE.id, username: 'alice', name: ALICE.name },
});

let gw: FakeGateway;
beforeAll(async () => {
  gw = await startFakeGateway();
  gw.on('task:join', (socket) => {
    void socket.join('t');
    socket.emit('task:state', {
      taskId,
      seq: 2,
      task: analysing,
      events: [ev(1, 'created', { status: 'received' }), ev(2, 'analyzing', { status: 'analyzing' })],
    });
    return { seq: 2 };
  });
});
afterAll(() => gw.close());

it('says "Re-analyzing your answers…" only once answers were given, not during the first analysis', async () => {
  render(<TaskDetailPage taskId={taskId} />, { wrapper: gw.wrapper });
  const first = await screen.findByTestId('analysis-status');
  expect(first.textContent).toMatch(/^Analyzing the task…/);
  expect(screen.queryByText(/Re-analyzing/)).toBeNull();

  // The analyzer asks; the answers come back (in another tab, say): the task is analysed again, now of the answers.
  act(
    () =>
      void gw.server.to('t').emit('task:event_added', {
        taskId,
        seq: 3,
        event: ev(3, 'clarification_needed', { status: 'needs_clarification', questions: ['Which page?'] }),
      }),
  );
  await screen.findByRole('form', { name: 'Clarification' });
  expect(screen.queryByTestId('analysis-status')).toBeNull();
  act(
    () =>
      void gw.server.to('t').emit('task:event_added', {
        taskId,
        seq: 4,
        event: ev(4, 'clarified', { status: 'analyzing', clarificationAnswers: ['Checkout'] }),
      }),
  );
  await screen.findByText(/^Re-analyzing your answers…/);
  expect(screen.getByTestId('analysis-status').textContent).not.toMatch(/Analyzing the task/);
});
