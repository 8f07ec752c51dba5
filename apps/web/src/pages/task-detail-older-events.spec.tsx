/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { ALICE, startFakeGateway, type FakeGateway } from '../testing/fake-gateway';
import { publicTask, timelineEvent } from '../testing/task-detail';
import { TaskDetailPage } from './task-detail-page';

const taskId = '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
const comments = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) =>
    timelineEvent(taskId, from + i, 'comment_added', { status: 'pr_open', body: `c${from + i}` }),
  );
const task = publicTask({
  id: taskId,
  title: 'Busy PR',
  status: 'pr_open',
  seq: 200,
  createdBy: { id: ALICE.id, username: 'alice', name: ALICE.name },
});

let gw: FakeGateway;
beforeAll(async () => {
  gw = await startFakeGateway();
  // The server's answer to a join: the latest 100 events and the cursor to the page before.
  gw.on('task:join', (socket) => {
    void socket.join('t');
    socket.emit('task:state', { taskId, seq: 200, task, events: comments(101, 200), hasOlder: true, olderCursor: 101 });
    return { seq: 200 };
  });
});
afterAll(() => gw.close());

it('shows the latest page, and loads older pages on demand while live events keep coming', async () => {
  let answer: (res: Response) => void = () => undefined;
  const asked: string[] = [];
  // The network boundary only: the page's own code runs unchanged.
  globalThis.fetch = ((url: string) => {
    asked.push(url);
    return new Promise<Response>((resolve) => (answer = resolve));
  }) as typeof fetch;

  render(<TaskDetailPage taskId={taskId} />, { wrapper: gw.wrapper });
  const timeline = await screen.findByRole('list', { name: 'Timeline' });
  const seqs = () => [...timeline.querySelectorAll('li')].map((li) => li.textContent);
  await waitFor(() => expect(timeline.querySelectorAll('li')).toHaveLength(100));

  fireEvent.click(screen.getByRole('button', { name: 'Load older events' }));
  expect(asked).toEqual([`/api/tasks/${taskId}/events?before=101`]);
  expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Loading older events…' }).disabled).toBe(true);
  // A live event arrives while the older page is on its way.
  act(() => void gw.server.to('t').emit('task:event_added', { taskId, seq: 201, event: comments(201, 201)[0]! }));
  await waitFor(() => expect(timeline.querySelectorAll('li')).toHaveLength(101));
  await act(async () =>
    answer({
      ok: true,
      status: 200,
      json: async () => ({ taskId, events: comments(1, 100), hasOlder: false, olderCursor: null }),
    } as Response),
  );

  await waitFor(() => expect(timeline.querySelectorAll('li')).toHaveLength(201));
  // Every event once, oldest first; nothing older to load.
  const texts = seqs();
  expect(texts[0]).toContain('c1');
  expect(texts[200]).toContain('c201');
  expect(new Set(texts).size).toBe(201);
  expect(screen.queryByRole('button', { name: /older events/ })).toBeNull();
});
