/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { render, screen } from '@testing-library/react';
import { ALICE, Refusal, startFakeGateway, type FakeGateway } from '../testing/fake-gateway';
import { publicTask, timelineEvent } from '../testing/task-detail';
import { TaskDetailPage } from './task-detail-page';

/** What the page says for each way a task:join can be refused: "does not exist" only when the server says so. */
const taskId = '5c2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
const task = publicTask({
  id: taskId,
  title: 'Rotate the signing keys',
  status: 'analyzing',
  seq: 1,
  createdBy: { id: ALICE.id, username: ALICE.username, name: ALICE.name },
});
const NOT_THERE = 'This task does not exist, or you may not see it.';

let gw: FakeGateway;
/** Codes the next joins are refused with, in order (then joins succeed); and how many joins arrived. */
let refusals: string[] = [];
let joins = 0;
/** Whether "does not exist" was ever on the page (a MutationObserver sees renders a final assertion would miss). */
let saidNotThere = false;
const observer = new MutationObserver(() => {
  if (document.body.textContent?.includes(NOT_THERE)) saidNotThere = true;
});

beforeAll(async () => {
  gw = await startFakeGateway();
  gw.on('task:join', (socket) => {
    joins += 1;
    const refused = refusals.shift();
    if (refused) return new Refusal(refused);
    socket.emit('task:state', { taskId, seq: 1, task, events: [timelineEvent(taskId, 1, 'analyzing', { status: 'analyzing' })] });
    return { seq: 1 };
  });
  // No REST read is expected: one would say so here.
  globalThis.fetch = (async (url: string) => ({
    ok: false,
    status: 500,
    json: async () => ({ error: 'UNEXPECTED', message: url }),
  })) as unknown as typeof fetch;
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
});
afterAll(async () => {
  observer.disconnect();
  await gw.close();
});
beforeEach(() => {
  joins = 0;
  saidNotThere = false;
});

it('joins again after RATE_LIMITED and shows the task, never "does not exist"', async () => {
  refusals = ['RATE_LIMITED'];
  render(<TaskDetailPage taskId={taskId} />, { wrapper: gw.wrapper });
  await screen.findByRole('heading', { name: 'Rotate the signing keys' }, { timeout: 10_000 });
  expect(joins).toBe(2);
  expect(saidNotThere).toBe(false);
});

it('says what failed, not "does not exist", when a join is refused for good for another reason', async () => {
  refusals = ['VALIDATION_FAILED'];
  render(<TaskDetailPage taskId={taskId} />, { wrapper: gw.wrapper });
  expect((await screen.findByRole('alert')).textContent).toBe('This task could not be loaded: VALIDATION_FAILED');
  expect(saidNotThere).toBe(false);
  expect(joins).toBe(1);
});

it.each(['NOT_FOUND', 'FORBIDDEN'])('says "does not exist" when the join is refused %s', async (code) => {
  refusals = [code];
  render(<TaskDetailPage taskId={taskId} />, { wrapper: gw.wrapper });
  expect((await screen.findByRole('alert')).textContent).toBe(NOT_THERE);
  expect(joins).toBe(1);
});
