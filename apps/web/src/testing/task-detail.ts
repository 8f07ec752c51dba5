import type { PublicTask, TimelineEvent } from '@taskflow/events';

/** An ISO time `s` seconds into a task that started a minute ago (its events' `createdAt` follow their seq). */
const secondsIn = (s: number): string => new Date(Date.now() - 60_000 + s * 1000).toISOString();

/** A timeline entry of the task, created `seq` seconds in. */
export function timelineEvent(
  taskId: string,
  seq: number,
  eventType: TimelineEvent['eventType'],
  payload: Record<string, unknown>,
): TimelineEvent {
  return { seq, eventType, payload: { taskId, seq, ...payload }, createdAt: secondsIn(seq) };
}

/** A task as `task:state` carries it: in acme/payments, nothing analysed or on GitHub yet; `over` sets the rest. */
export function publicTask(over: Partial<PublicTask> & Pick<PublicTask, 'id' | 'createdBy'>): PublicTask {
  return {
    creator: over.createdBy.name,
    title: 'A task',
    description: 'Something to do.',
    status: 'analyzing',
    seq: 2,
    isPrivate: false,
    orgId: 'o1',
    createdAt: secondsIn(0),
    updatedAt: secondsIn(over.seq ?? 2),
    repo: 'acme/payments',
    taskTypeHint: 'auto',
    filesHint: [],
    acceptanceCriteria: [],
    priority: 'normal',
    preferredAgent: 'auto',
    summary: null,
    taskType: null,
    recommendedAgent: null,
    likelyFiles: [],
    suggestedCriteria: [],
    clarificationQuestions: [],
    clarificationAnswers: [],
    githubIssueNumber: null,
    githubIssueUrl: null,
    githubBranch: null,
    prNumber: null,
    prUrl: null,
    prTitle: null,
    mergeCommitSha: null,
    mergedAt: null,
    dispatchedAt: null,
    completedAt: null,
    errorMessage: null,
    retryCount: 0,
    prState: null,
    reviewState: null,
    checksState: null,
    checksUrl: null,
    ...over,
  };
}
