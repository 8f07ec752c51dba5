/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { render } from '@testing-library/react';
import type { TimelineEventDetail, TimelineEventPayload, TimelineEventType } from '@taskflow/events';
import { timelineEvent } from '../testing/task-detail';
import { TimelineEntry } from './timeline-entry';

const taskId = '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
const base = { taskId, seq: 1 };
const user = { id: 'u1', username: 'bob', name: 'Bob Brown' };

/** A payload of every type, as the contract types it (a new type does not compile until it is here). */
const PAYLOADS: { [T in TimelineEventType]: TimelineEventPayload<T> } = {
  created: { ...base, title: 'Fix it', creator: 'Bob Brown', createdBy: user, status: 'received', createdAt: '2026-12-06T10:00:00.000Z' },
  analyzing: { ...base, status: 'analyzing' },
  clarification_needed: { ...base, status: 'needs_clarification', questions: ['Which page?', 'What should happen?'] },
  clarified: { ...base, status: 'analyzing', clarificationAnswers: ['The login page'] },
  dispatched: {
    ...base,
    status: 'dispatched',
    issueNumber: 42,
    issueUrl: 'https://github.com/acme/payments/issues/42',
    githubBranch: 'taskflow/fix-it',
  },
  coding: { ...base, status: 'coding' },
  pr_opened: {
    ...base,
    status: 'pr_open',
    prNumber: 7,
    prUrl: 'https://github.com/acme/payments/pull/7',
    prTitle: 'Fix it',
    prState: 'draft',
  },
  pr_merged: { ...base, status: 'merged', mergeCommitSha: '0123456789abcdef', mergedAt: '2026-12-06T10:00:00.000Z', prState: 'merged' },
  pr_closed: { ...base, status: 'failed', prNumber: 7, errorMessage: 'PR closed without merging', prState: 'closed' },
  failed: { ...base, status: 'failed', errorMessage: 'GitHub is down' },
  cancelled: { ...base, status: 'cancelled' },
  retried: { ...base, status: 'received', retryCount: 1 },
  llm_response: {
    ...base,
    status: 'analyzing',
    analyzer: 'built-in rules',
    summary: 'Fix the login page',
    taskType: 'bug-fix',
    recommendedAgent: 'codex',
    likelyFiles: [],
    suggestedCriteria: [],
    questions: ['Which page?'],
  },
  pr_updated: {
    ...base,
    status: 'pr_open',
    action: 'synchronize',
    prNumber: 7,
    prUrl: 'https://github.com/acme/payments/pull/7',
    prState: 'ready',
    reviewState: null,
    checksState: 'pending',
  },
  review_submitted: {
    ...base,
    status: 'pr_open',
    prNumber: 7,
    outcome: 'changes_requested',
    reviewer: 'grace',
    url: 'https://github.com/acme/payments/pull/7#pullrequestreview-1',
    reviewState: 'changes_requested',
  },
  checks_completed: {
    ...base,
    status: 'pr_open',
    prNumber: 7,
    checkName: 'build',
    checksState: 'failing',
    checksUrl: 'https://github.com/acme/payments/actions/runs/1',
  },
  comment_added: {
    ...base,
    status: 'pr_open',
    on: 'issue',
    number: 42,
    author: 'linus',
    body: 'Looks good',
    url: 'https://github.com/acme/payments/issues/42#issuecomment-1',
  },
};

const shown = (type: TimelineEventType, detail?: TimelineEventDetail) => {
  const { container, unmount } = render(<TimelineEntry event={timelineEvent(taskId, 1, type, { ...PAYLOADS[type], detail })} />);
  const text = {
    label: container.querySelector('.event-type')?.textContent,
    actor: container.querySelector('.actor')?.textContent,
    description: container.querySelector('.muted')?.textContent,
    link: container.querySelector('a')?.getAttribute('href') ?? null,
    quote: container.querySelector('blockquote')?.textContent ?? null,
  };
  unmount();
  return text;
};

/** Label, description and GitHub link of each type: what the timeline showed before its tables were typed per event. */
const EXPECTED: { [T in TimelineEventType]: [label: string, description: string, link?: string] } = {
  created: ['created', ''],
  analyzing: ['analyzing', ''],
  clarification_needed: ['clarification needed', '2 question(s)'],
  clarified: ['clarified', '1 answer(s)'],
  dispatched: ['dispatched', 'issue #42 · branch taskflow/fix-it', PAYLOADS.dispatched.issueUrl],
  coding: ['coding', ''],
  pr_opened: ['PR opened', 'PR #7 · draft', PAYLOADS.pr_opened.prUrl],
  pr_merged: ['PR merged', 'commit 0123456789'],
  pr_closed: ['PR closed', 'PR #7 · PR closed without merging'],
  failed: ['failed', 'GitHub is down'],
  cancelled: ['cancelled', ''],
  retried: ['retried', ''],
  llm_response: ['analysis', 'bug-fix · agent codex · 1 question(s) · Fix the login page'],
  pr_updated: ['PR updated', 'PR #7 new commits pushed; CI runs again'],
  review_submitted: ['review', 'PR #7 changes requested', PAYLOADS.review_submitted.url],
  checks_completed: ['CI', 'build: failing', PAYLOADS.checks_completed.checksUrl],
  comment_added: ['comment', 'on issue #42', PAYLOADS.comment_added.url],
};

describe('a timeline entry', () => {
  it.each(Object.keys(PAYLOADS) as TimelineEventType[])('shows %s with its label, description and link', (type) => {
    const [label, description, link] = EXPECTED[type];
    expect(shown(type)).toEqual({
      label,
      actor: 'Taskflow',
      description: link ? `${description} view on GitHub` : description,
      link: link ?? null,
      quote: type === 'comment_added' ? 'Looks good' : null,
    });
  });

  it.each<[string, TimelineEventDetail, string]>([
    ['a user', { actor: 'Bob Brown', actorLogin: 'bob', actorKind: 'user' }, 'Bob Brown (@bob)'],
    ['a GitHub login', { actor: 'octocat', actorKind: 'github' }, '@octocat on GitHub'],
    ['GitHub without a login', { actorKind: 'github' }, 'GitHub'],
    ['the analyzer', { actor: 'built-in rules', actorKind: 'analyzer' }, 'analyzer: built-in rules'],
    ['an analyzer recorded before actorKind', { analyzer: 'built-in rules' }, 'analyzer: built-in rules'],
  ])('names %s as the actor from the stored detail', (_who, detail, actor) => {
    expect(shown('created', detail).actor).toBe(actor);
  });

  it('shows a type from a newer server by its name, without a description', () => {
    const event = { ...timelineEvent(taskId, 1, 'coding', {}), eventType: 'deployed_now' as TimelineEventType };
    const { container } = render(<TimelineEntry event={event} />);
    expect(container.querySelector('.event-type')?.textContent).toBe('deployed now');
    expect(container.querySelector('.muted')?.textContent).toBe('');
  });
});
