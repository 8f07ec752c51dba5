import { statusEventPayload, storedPayloadOnWire, taskStatePayload, toDashboardTask, toPublicTask, toTimelineEvent } from './builders';
import { SERVER_EVENTS, TASK_STATE_NESTED_TASK_REMOVED_IN } from './server-events';
import { PublicTaskSchema, type TaskSource } from './task.schema';
import { validate } from './validation';

/** The wire as a client written to the original specification reads it (issue 19.3), built by the contract's builders. */
const now = new Date('2026-12-06T10:00:00.000Z');
const alice = { id: '11111111-2222-4333-8444-555555555555', username: 'alice', name: 'Alice Liddell' };
const task: TaskSource = {
  ...{ id: '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f', title: 'Fix payment bug', description: 'Card payments fail', status: 'analyzing' },
  ...{ seq: 2, isPrivate: false, orgId: 'org-1', createdBy: alice, createdAt: now, updatedAt: now, repo: 'acme/payments' },
  ...{ taskTypeHint: 'auto', filesHint: [], acceptanceCriteria: [], priority: 'normal', preferredAgent: 'auto' },
  ...{ summary: null, taskType: null, recommendedAgent: null, likelyFiles: [], suggestedCriteria: [] },
  ...{ clarificationQuestions: [], clarificationAnswers: [], githubIssueNumber: null, githubIssueUrl: null, githubBranch: null },
  ...{ prNumber: null, prUrl: null, prTitle: null, mergeCommitSha: null, mergedAt: null, dispatchedAt: null, completedAt: null },
  ...{ errorMessage: null, retryCount: 0, prState: null, reviewState: null, checksState: null, checksUrl: null },
};

describe('creator on the wire', () => {
  it("is the creator's name, with the user in createdBy: task, dashboard row and task:created", () => {
    const pub = toPublicTask(task);
    const row = toDashboardTask(task);
    const created = statusEventPayload('created', { ...task, seq: 1, status: 'received' });
    for (const payload of [pub, row, created]) expect(payload).toMatchObject({ creator: 'Alice Liddell', createdBy: alice });
    expect(validate(PublicTaskSchema, pub).ok).toBe(true);
    expect(validate(SERVER_EVENTS['dashboard:task_list_updated'], row).ok).toBe(true);
    expect(validate(SERVER_EVENTS['task:created'], created).ok).toBe(true);
    expect(validate(SERVER_EVENTS['task:created'], { ...created, creator: alice }).ok).toBe(false);
  });

  it('reads a `created` event stored before the change (creator an object) in the new shape', () => {
    const old = { taskId: task.id, seq: 1, title: task.title, creator: alice, status: 'received', createdAt: now.toISOString() };
    const upgraded = storedPayloadOnWire('created', old);
    expect(upgraded).toEqual({ ...old, creator: 'Alice Liddell', createdBy: alice });
    expect(validate(SERVER_EVENTS['task:created'], upgraded).ok).toBe(true);
    expect(toTimelineEvent({ seq: 1, eventType: 'created', payload: old, createdAt: now }).payload).toEqual(upgraded);
    // A new one, and any other event, passes unchanged.
    expect(storedPayloadOnWire('created', upgraded)).toEqual(upgraded);
    expect(storedPayloadOnWire('failed', { creator: alice })).toEqual({ creator: alice });
  });
});

describe('task:state', () => {
  it("carries the task's fields at the top level, and the deprecated nested task", () => {
    const state = taskStatePayload(task, { events: [] });
    expect(state).toMatchObject({
      taskId: task.id,
      seq: 2,
      id: task.id,
      title: 'Fix payment bug',
      status: 'analyzing',
      creator: 'Alice Liddell',
    });
    expect(state.task).toEqual(toPublicTask(task));
    // Deprecated in the schema (what generated docs and clients read), with the release that removes it.
    expect(SERVER_EVENTS['task:state'].properties.task).toMatchObject({ deprecated: true, description: expect.stringContaining('0.2.0') });
    expect(TASK_STATE_NESTED_TASK_REMOVED_IN).toBe('0.2.0');
    expect(validate(SERVER_EVENTS['task:state'], state).ok).toBe(true);
    // Every public field is there, at the top level.
    for (const field of Object.keys(PublicTaskSchema.properties)) expect(state).toHaveProperty(field);
  });
});
