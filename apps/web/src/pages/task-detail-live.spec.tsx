/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { TimelineEvent } from '@taskflow/events';
import { startFakeGateway, type FakeGateway } from '../testing/fake-gateway';
import { publicTask, timelineEvent } from '../testing/task-detail';
import { TaskDetailPage } from './task-detail-page';

const taskId = '4a2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
const BOB = { id: 'u-bob', username: 'bob', name: 'Bob Brown' };
const ev = (seq: number, eventType: TimelineEvent['eventType'], payload: Record<string, unknown>) =>
  timelineEvent(taskId, seq, eventType, payload);
const base = publicTask({
  id: taskId,
  title: 'Add CSV export',
  description: 'Export the report.',
  status: 'analyzing',
  seq: 2,
  createdBy: BOB,
});

let gw: FakeGateway;
let seq = 2;
const requests: Array<{ method: string; url: string }> = [];
beforeAll(async () => {
  gw = await startFakeGateway();
  gw.on('task:join', (socket) => {
    void socket.join('t');
    socket.emit('task:state', {
      taskId,
      seq: 2,
      task: base,
      events: [
        ev(1, 'created', { status: 'received', detail: { actor: 'Bob Brown', actorLogin: 'bob', actorKind: 'user' } }),
        ev(2, 'analyzing', { status: 'analyzing' }),
      ],
    });
    return { seq: 2 };
  });
  let following = false;
  globalThis.fetch = (async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    requests.push({ method, url });
    if (url.endsWith('/follow')) {
      if (method !== 'GET') following = method === 'POST';
      return { ok: true, status: 200, json: async () => ({ following }) } as Response;
    }
    return { ok: true, status: 200, json: async () => ({}) } as Response;
  }) as typeof fetch;
});
afterAll(() => gw.close());

const emit = (type: TimelineEvent['eventType'], payload: Record<string, unknown>) => {
  seq += 1;
  act(() => void gw.server.to('t').emit('task:event_added', { taskId, seq, event: ev(seq, type, payload) }));
};
const entries = () => screen.getAllByRole('listitem').filter((li) => li.getAttribute('data-event'));

it('every field updates from the event that changed it: analysis, PR story, comments, and a retry clears the attempt', async () => {
  render(<TaskDetailPage taskId={taskId} />, { wrapper: gw.wrapper });
  await screen.findByRole('heading', { name: 'Add CSV export' });
  // Who did it: the creator's name on the created entry.
  expect(within(entries()[0]!).getByText('Bob Brown (@bob)')).toBeTruthy();

  emit('llm_response', {
    status: 'analyzing',
    analyzer: 'built-in rules',
    summary: 'Add a CSV download to the report page',
    taskType: 'feature',
    recommendedAgent: 'codex',
    likelyFiles: ['src/report.ts'],
    suggestedCriteria: ['CSV has a header row'],
    questions: [],
    detail: { actor: 'built-in rules', actorKind: 'analyzer' },
  });
  expect((await screen.findByTestId('summary')).textContent).toBe('Add a CSV download to the report page');
  expect(screen.getByText('feature')).toBeTruthy();
  expect(screen.getByText('agent: codex')).toBeTruthy();
  expect(screen.getByText('src/report.ts')).toBeTruthy();
  expect(screen.getByText('CSV has a header row')).toBeTruthy();
  await waitFor(() => expect(within(entries().at(-1)!).getByText('analyzer: built-in rules')).toBeTruthy());

  emit('dispatched', {
    status: 'dispatched',
    issueNumber: 12,
    issueUrl: 'https://github.com/acme/payments/issues/12',
    githubBranch: 'taskflow/4a2b8c1e-8d9a',
  });
  emit('pr_opened', {
    status: 'pr_open',
    prNumber: 13,
    prUrl: 'https://github.com/acme/payments/pull/13',
    prTitle: 'CSV export',
    prState: 'draft',
    detail: { actor: 'octocat', actorKind: 'github' },
  });
  const header = () => within(screen.getByRole('banner'));
  expect(await header().findByText('Draft')).toBeTruthy();
  emit('pr_updated', {
    status: 'pr_open',
    action: 'ready_for_review',
    prNumber: 13,
    prUrl: 'https://github.com/acme/payments/pull/13',
    prState: 'ready',
    reviewState: null,
    checksState: null,
  });
  expect(await header().findByText('Ready for review')).toBeTruthy();
  emit('review_submitted', {
    status: 'pr_open',
    prNumber: 13,
    outcome: 'changes_requested',
    reviewer: 'grace',
    url: 'https://github.com/acme/payments/pull/13#r1',
    reviewState: 'changes_requested',
    detail: { actor: 'grace', actorKind: 'github' },
  });
  expect(await header().findByText('Changes requested')).toBeTruthy();
  await waitFor(() => expect(within(entries().at(-1)!).getByText('@grace on GitHub')).toBeTruthy());
  emit('checks_completed', {
    status: 'pr_open',
    prNumber: 13,
    checkName: 'ci / unit',
    checksState: 'failing',
    checksUrl: 'https://github.com/acme/payments/runs/9',
  });
  const ci = await header().findByRole('link', { name: 'CI failing' });
  expect(ci.getAttribute('href')).toBe('https://github.com/acme/payments/runs/9');
  emit('comment_added', {
    status: 'pr_open',
    on: 'pull_request',
    number: 13,
    author: 'linus',
    body: 'Please add a test <b>now</b>',
    url: 'https://github.com/acme/payments/pull/13#issuecomment-5',
    detail: { actor: 'linus', actorKind: 'github' },
  });
  await waitFor(() => expect(entries().at(-1)?.getAttribute('data-event')).toBe('comment_added'));
  const comment = entries().at(-1)!;
  expect(within(comment).getByText('@linus on GitHub')).toBeTruthy();
  // The body is text, never markup.
  expect(within(comment).getByText('Please add a test <b>now</b>')).toBeTruthy();
  expect(within(comment).getByRole('link', { name: 'view on GitHub' }).getAttribute('href')).toBe(
    'https://github.com/acme/payments/pull/13#issuecomment-5',
  );

  emit('pr_closed', { status: 'failed', prNumber: 13, errorMessage: 'Pull request #13 was closed without merging', prState: 'closed' });
  expect(await header().findByText('Closed, unmerged')).toBeTruthy();
  expect(header().queryByText('Failed')).toBeNull();

  emit('retried', { status: 'received', retryCount: 1, detail: { actor: 'Bob Brown', actorLogin: 'bob', actorKind: 'user' } });
  await waitFor(() => expect(screen.queryByTestId('pr-link')).toBeNull());
  expect(screen.queryByTestId('issue-link')).toBeNull();
  expect(screen.queryByTestId('summary')).toBeNull();
  expect(header().queryByText('Closed, unmerged')).toBeNull();
  expect(screen.queryByText('Pull request #13 was closed without merging', { selector: 'dd' })).toBeNull();
});

it('follows and unfollows a task someone else created', async () => {
  render(<TaskDetailPage taskId={taskId} />, { wrapper: gw.wrapper });
  const follow = await screen.findByRole('button', { name: 'Follow' });
  await waitFor(() => expect((follow as HTMLButtonElement).disabled).toBe(false));
  fireEvent.click(follow);
  const following = await screen.findByRole('button', { name: 'Following' });
  expect(following.getAttribute('aria-pressed')).toBe('true');
  fireEvent.click(following);
  await screen.findByRole('button', { name: 'Follow' });
  expect(requests.filter((r) => r.url.endsWith('/follow')).map((r) => r.method)).toEqual(expect.arrayContaining(['GET', 'POST', 'DELETE']));
});
