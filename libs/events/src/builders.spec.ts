import {
  ATTEMPT_RESET,
  eventPayload,
  eventAddedPayload,
  PR_OPENED_RESET,
  statusEventPayload,
  taskPatchFromEvent,
  toDashboardTask,
  toPublicTask,
  wireEventName,
} from './builders';
import { SERVER_EVENTS } from './server-events';
import {
  STATUS_AFTER_EVENT,
  TASK_EVENT_TYPES,
  TASK_UPDATE_EVENT_TYPES,
  TIMELINE_EVENT_TYPES,
  type TimelineEventType,
} from './status-machine';
import { notificationKindFor } from './notifications';
import { DashboardTaskSchema, PublicTaskSchema, type TaskSource } from './task.schema';
import { validate } from './validation';

const now = new Date('2026-11-25T10:00:00.000Z');
const task: TaskSource = {
  id: '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f',
  title: 'Fix payment bug',
  description: 'Card payments fail with 3DS',
  status: 'pr_open',
  seq: 7,
  isPrivate: false,
  orgId: 'org-1',
  createdBy: { id: 'u1', username: 'alice', name: 'Alice' },
  createdAt: now,
  updatedAt: now,
  repo: 'acme/payments',
  taskTypeHint: 'bug-fix',
  filesHint: ['src/pay.ts'],
  acceptanceCriteria: ['3DS works'],
  priority: 'urgent',
  preferredAgent: 'auto',
  summary: 'Fix 3DS',
  taskType: 'bug-fix',
  recommendedAgent: 'codex',
  likelyFiles: ['src/pay.ts'],
  suggestedCriteria: ['test added'],
  clarificationQuestions: ['Which card?'],
  clarificationAnswers: ['Visa'],
  githubIssueNumber: 12,
  githubIssueUrl: 'https://github.com/acme/payments/issues/12',
  githubBranch: 'taskflow/12-fix-payment-bug',
  prNumber: 13,
  prUrl: 'https://github.com/acme/payments/pull/13',
  prTitle: 'Fix 3DS',
  mergeCommitSha: 'abc123',
  mergedAt: now,
  dispatchedAt: now,
  completedAt: null,
  errorMessage: 'boom',
  retryCount: 0,
  prState: 'ready',
  reviewState: 'approved',
  checksState: 'passing',
  checksUrl: 'https://github.com/acme/payments/pull/13/checks',
};

/** A store row carries internal columns; none of them may reach a payload. */
const rowWithSecrets = {
  ...task,
  analysis: { raw: 'LLM output', apiKey: 'sk-secret' },
  createdBy: { ...task.createdBy, passwordHash: 'scrypt$…', email: 'alice@acme.test' },
  creatorId: 'u1',
  passwordHash: 'scrypt$…',
  publishedAt: null,
} as TaskSource;

describe('payload builders', () => {
  it('public task has exactly the allow-listed fields and passes its schema', () => {
    const out = toPublicTask(rowWithSecrets);
    expect(validate(PublicTaskSchema, out)).toEqual({ ok: true, value: out });
    expect(JSON.stringify(out)).not.toMatch(/secret|passwordHash|analysis|email|publishedAt/);
    expect(out.mergedAt).toBe(now.toISOString());
  });

  it('dashboard row has exactly the allow-listed fields and passes its schema', () => {
    const out = toDashboardTask(rowWithSecrets);
    expect(validate(DashboardTaskSchema, out).ok).toBe(true);
    expect(Object.keys(out).sort()).toEqual(Object.keys(DashboardTaskSchema.properties).sort());
    expect(JSON.stringify(out)).not.toMatch(/secret|passwordHash|email|description/);
  });

  it.each(TASK_EVENT_TYPES)('status payload of %s validates against its wire schema', (type) => {
    const t = { ...rowWithSecrets, status: STATUS_AFTER_EVENT[type], retryCount: 1 };
    const payload = statusEventPayload(type, t);
    const schema = SERVER_EVENTS[wireEventName(type)];
    expect(validate(schema, payload).ok).toBe(true);
    expect(payload).toMatchObject({ taskId: task.id, seq: task.seq, status: STATUS_AFTER_EVENT[type] });
    expect(JSON.stringify(payload)).not.toMatch(/secret|passwordHash|email/);
  });

  it('refuses to build an event whose required field is missing', () => {
    expect(() => statusEventPayload('dispatched', { ...task, githubIssueUrl: null })).toThrow(/githubIssueUrl/);
    expect(() => statusEventPayload('pr_opened', { ...task, prNumber: null })).toThrow(/prNumber/);
  });

  it('task:event_added carries taskId, seq and the timeline entry', () => {
    const payload = eventAddedPayload(task.id, { seq: 3, eventType: 'coding', payload: { status: 'coding' }, createdAt: now });
    expect(validate(SERVER_EVENTS['task:event_added'], payload).ok).toBe(true);
    expect(payload).toEqual({
      taskId: task.id,
      seq: 3,
      event: { seq: 3, eventType: 'coding', payload: { status: 'coding' }, createdAt: now.toISOString() },
    });
  });
});

const FACTS = {
  llm_response: { analyzer: 'builtin', questions: [] },
  pr_updated: { action: 'converted_to_draft' },
  review_submitted: { outcome: 'approved', reviewer: 'octocat', url: 'https://github.com/acme/payments/pull/13#pullrequestreview-1' },
  checks_completed: { checkName: 'ci' },
  comment_added: {
    on: 'pull_request',
    number: 13,
    author: 'octocat',
    body: 'x'.repeat(5000),
    url: 'https://github.com/acme/payments/pull/13#issuecomment-1',
  },
} as const;

describe('update event payloads (status unchanged)', () => {
  it.each(TASK_UPDATE_EVENT_TYPES)('%s validates against its wire schema and keeps the status', (type) => {
    const payload = eventPayload(type, rowWithSecrets, FACTS[type]);
    const result = validate(SERVER_EVENTS[wireEventName(type)], payload);
    expect(result.ok ? [] : result.issues).toEqual([]);
    expect(payload).toMatchObject({ taskId: task.id, seq: task.seq, status: 'pr_open' });
    expect(JSON.stringify(payload)).not.toMatch(/secret|passwordHash|email/);
  });

  it('truncates a long comment and refuses a CI result without its link', () => {
    expect((eventPayload('comment_added', task, FACTS.comment_added).body as string).length).toBe(4000);
    expect(() => eventPayload('checks_completed', { ...task, checksUrl: null }, {})).toThrow(/checksUrl/);
  });

  it('carries the analysis on dispatched and the PR state on PR status events', () => {
    expect(statusEventPayload('dispatched', task)).toMatchObject({
      summary: 'Fix 3DS',
      taskType: 'bug-fix',
      recommendedAgent: 'codex',
      likelyFiles: ['src/pay.ts'],
    });
    expect(statusEventPayload('pr_opened', { ...task, prState: 'draft' }).prState).toBe('draft');
    expect(statusEventPayload('pr_closed', task).prState).toBe('closed');
  });

  it('a retry resets every field of the previous attempt and keeps the public task valid', () => {
    const reset = toPublicTask({ ...task, ...ATTEMPT_RESET, likelyFiles: [], suggestedCriteria: [], mergedAt: null, dispatchedAt: null });
    expect(validate(PublicTaskSchema, reset).ok).toBe(true);
    expect(reset).toMatchObject({ githubIssueUrl: null, prUrl: null, prState: null, checksState: null, summary: null, errorMessage: null });
  });
});

describe('task fields from an event (the inverse of the builders)', () => {
  /** The task right after an event of `type`, as the store holds it then. */
  const after = (type: TimelineEventType): TaskSource => {
    if (type === 'retried') return { ...task, ...ATTEMPT_RESET, likelyFiles: [], suggestedCriteria: [], status: 'received', retryCount: 1 };
    if (type === 'pr_opened') return { ...task, ...PR_OPENED_RESET, status: 'pr_open' };
    // The worker records the PR's end beside the status.
    if (type === 'pr_merged') return { ...task, status: 'merged', prState: 'merged' };
    if (type === 'pr_closed') return { ...task, status: 'failed', prState: 'closed' };
    return { ...task, status: type in STATUS_AFTER_EVENT ? STATUS_AFTER_EVENT[type as keyof typeof STATUS_AFTER_EVENT] : task.status };
  };
  const facts = (type: TimelineEventType) => (type in FACTS ? FACTS[type as keyof typeof FACTS] : {});

  it.each(TIMELINE_EVENT_TYPES)('%s: the patch of its built payload reproduces the public task it was built from', (type) => {
    const source = after(type);
    const event = { seq: source.seq, eventType: type, payload: eventPayload(type, source, facts(type)), createdAt: now.toISOString() };
    const patch = taskPatchFromEvent(event);
    expect(patch.status).toBe(source.status);
    expect(toPublicTask(source)).toMatchObject(patch);
  });

  it("renames the payload fields back to the task's and clears what a new PR or a retry leaves behind", () => {
    const dispatched = taskPatchFromEvent({ seq: 3, eventType: 'dispatched', payload: eventPayload('dispatched', task), createdAt: '' });
    expect(dispatched).toMatchObject({ githubIssueNumber: 12, githubIssueUrl: task.githubIssueUrl });
    const opened = taskPatchFromEvent({ seq: 5, eventType: 'pr_opened', payload: eventPayload('pr_opened', task), createdAt: '' });
    expect(opened).toMatchObject({ ...PR_OPENED_RESET, prNumber: 13 });
    const retried = taskPatchFromEvent({ seq: 9, eventType: 'retried', payload: eventPayload('retried', task), createdAt: '' });
    expect(retried).toMatchObject(ATTEMPT_RESET);
  });
});

describe('notification kinds', () => {
  it.each([
    ['clarification_needed', {}, 'needs_clarification'],
    ['pr_opened', { prState: 'ready' }, 'pr_ready'],
    ['pr_opened', { prState: 'draft' }, undefined],
    ['pr_updated', { action: 'ready_for_review' }, 'pr_ready'],
    ['pr_updated', { action: 'synchronize' }, undefined],
    ['review_submitted', { outcome: 'changes_requested' }, 'changes_requested'],
    ['review_submitted', { outcome: 'approved' }, undefined],
    ['checks_completed', { checksState: 'failing' }, 'ci_failed'],
    ['checks_completed', { checksState: 'passing' }, undefined],
    ['pr_merged', {}, 'merged'],
    ['pr_closed', {}, 'failed'],
    ['failed', {}, 'failed'],
    ['coding', {}, undefined],
    ['comment_added', {}, undefined],
  ] as const)('%s %j → %s', (type, payload, kind) => {
    expect(notificationKindFor(type, payload)).toBe(kind);
  });
});
