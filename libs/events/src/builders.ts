import type { ServerEventPayload } from './server-events';
import { isStatusEventType, type TaskEventType, type TaskUpdateEventType, type TimelineEventType } from './status-machine';
import type { DashboardTask, PublicTask, PublicUser, TaskSource, TimelineEvent, TimelineEventDetail } from './task.schema';

/**
 * Payload builders. Each copies an explicit allow-list of fields, so a store row
 * with secrets or internal columns (password hashes, raw LLM output, outbox state)
 * can be passed in and nothing but the listed fields comes out (docs/architecture.md#rooms-and-authorization).
 * Their input is a TaskSource (task.schema.ts): the public task with `Date`s.
 */
export interface EventSource {
  seq: number;
  eventType: TimelineEventType;
  payload: Record<string, unknown>;
  createdAt: Date;
}

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export function toPublicUser(u: PublicUser): PublicUser {
  return { id: u.id, username: u.username, name: u.name };
}

export function toPublicTask(t: TaskSource): PublicTask {
  return {
    id: t.id,
    title: t.title,
    description: t.description,
    status: t.status,
    seq: t.seq,
    isPrivate: t.isPrivate,
    orgId: t.orgId,
    creator: t.createdBy.name,
    createdBy: toPublicUser(t.createdBy),
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
    repo: t.repo,
    taskTypeHint: t.taskTypeHint,
    filesHint: [...t.filesHint],
    acceptanceCriteria: [...t.acceptanceCriteria],
    priority: t.priority,
    preferredAgent: t.preferredAgent,
    summary: t.summary,
    taskType: t.taskType,
    recommendedAgent: t.recommendedAgent,
    likelyFiles: [...t.likelyFiles],
    suggestedCriteria: [...t.suggestedCriteria],
    clarificationQuestions: [...t.clarificationQuestions],
    clarificationAnswers: [...t.clarificationAnswers],
    githubIssueNumber: t.githubIssueNumber,
    githubIssueUrl: t.githubIssueUrl,
    githubBranch: t.githubBranch,
    prNumber: t.prNumber,
    prUrl: t.prUrl,
    prTitle: t.prTitle,
    mergeCommitSha: t.mergeCommitSha,
    mergedAt: isoOrNull(t.mergedAt),
    dispatchedAt: isoOrNull(t.dispatchedAt),
    completedAt: isoOrNull(t.completedAt),
    errorMessage: t.errorMessage,
    retryCount: t.retryCount,
    prState: t.prState,
    reviewState: t.reviewState,
    checksState: t.checksState,
    checksUrl: t.checksUrl,
  };
}

/** A page of the timeline as a snapshot carries it (the paging fields are absent for a whole timeline). */
export interface TimelinePage {
  events: TimelineEvent[];
  hasOlder?: boolean;
  olderCursor?: number | null;
}

/**
 * `task:state`: the task's fields at the top level (as the original specification's clients read it), and the
 * same task under the deprecated `task` for clients written before (removed in TASK_STATE_NESTED_TASK_REMOVED_IN).
 */
export function taskStatePayload(t: TaskSource, page: TimelinePage): ServerEventPayload<'task:state'> {
  const task = toPublicTask(t);
  return { ...task, taskId: t.id, seq: t.seq, task, ...page };
}

export function toDashboardTask(t: TaskSource): DashboardTask {
  return dashboardTaskFromPublic({ ...t, createdAt: iso(t.createdAt), updatedAt: iso(t.updatedAt) });
}

/** The dashboard row of a task as the REST API shows it (also for clients that poll instead of listening). */
export function dashboardTaskFromPublic(
  t: Pick<
    PublicTask,
    | 'id'
    | 'seq'
    | 'title'
    | 'status'
    | 'isPrivate'
    | 'priority'
    | 'repo'
    | 'createdBy'
    | 'createdAt'
    | 'updatedAt'
    | 'prUrl'
    | 'githubIssueUrl'
    | 'prState'
    | 'reviewState'
    | 'checksState'
  >,
): DashboardTask {
  return {
    taskId: t.id,
    seq: t.seq,
    title: t.title,
    status: t.status,
    isPrivate: t.isPrivate,
    priority: t.priority,
    repo: t.repo,
    creator: t.createdBy.name,
    createdBy: toPublicUser(t.createdBy),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    prUrl: t.prUrl,
    githubIssueUrl: t.githubIssueUrl,
    prState: t.prState,
    reviewState: t.reviewState,
    checksState: t.checksState,
  };
}

/** Fails loudly when a transition did not set a field its event must carry. */
function required<T>(value: T | null, field: string, type: TimelineEventType): T {
  if (value === null) throw new Error(`event ${type} needs task.${field}`);
  return value;
}

type StatusEventPayloads = {
  created: ServerEventPayload<'task:created'>;
  analyzing: ServerEventPayload<'task:analyzing'>;
  clarification_needed: ServerEventPayload<'task:clarification_needed'>;
  clarified: ServerEventPayload<'task:clarified'>;
  dispatched: ServerEventPayload<'task:dispatched'>;
  coding: ServerEventPayload<'task:coding'>;
  pr_opened: ServerEventPayload<'task:pr_opened'>;
  pr_merged: ServerEventPayload<'task:pr_merged'>;
  pr_closed: ServerEventPayload<'task:pr_closed'>;
  failed: ServerEventPayload<'task:failed'>;
  cancelled: ServerEventPayload<'task:cancelled'>;
  retried: ServerEventPayload<'task:retried'>;
};
export type StatusEventPayload<T extends TaskEventType = TaskEventType> = StatusEventPayloads[T];

/** Builds each status event's payload from the task as it is right after the transition. */
const STATUS_PAYLOAD_BUILDERS: { [T in TaskEventType]: (t: TaskSource) => StatusEventPayloads[T] } = {
  created: (t) => ({
    taskId: t.id,
    seq: t.seq,
    title: t.title,
    creator: t.createdBy.name,
    createdBy: toPublicUser(t.createdBy),
    status: 'received',
    createdAt: iso(t.createdAt),
  }),
  analyzing: (t) => ({ taskId: t.id, seq: t.seq, status: 'analyzing' }),
  clarification_needed: (t) => ({
    taskId: t.id,
    seq: t.seq,
    status: 'needs_clarification',
    questions: [...t.clarificationQuestions],
  }),
  clarified: (t) => ({
    taskId: t.id,
    seq: t.seq,
    status: 'analyzing',
    clarificationAnswers: [...t.clarificationAnswers],
  }),
  dispatched: (t) => ({
    taskId: t.id,
    seq: t.seq,
    status: 'dispatched',
    issueNumber: required(t.githubIssueNumber, 'githubIssueNumber', 'dispatched'),
    issueUrl: required(t.githubIssueUrl, 'githubIssueUrl', 'dispatched'),
    githubBranch: required(t.githubBranch, 'githubBranch', 'dispatched'),
    summary: t.summary,
    taskType: t.taskType,
    recommendedAgent: t.recommendedAgent,
    likelyFiles: [...t.likelyFiles],
  }),
  coding: (t) => ({ taskId: t.id, seq: t.seq, status: 'coding' }),
  pr_opened: (t) => ({
    taskId: t.id,
    seq: t.seq,
    status: 'pr_open',
    prNumber: required(t.prNumber, 'prNumber', 'pr_opened'),
    prUrl: required(t.prUrl, 'prUrl', 'pr_opened'),
    prTitle: required(t.prTitle, 'prTitle', 'pr_opened'),
    prState: t.prState ?? 'ready',
  }),
  pr_merged: (t) => ({
    taskId: t.id,
    seq: t.seq,
    status: 'merged',
    mergeCommitSha: required(t.mergeCommitSha, 'mergeCommitSha', 'pr_merged'),
    mergedAt: iso(required(t.mergedAt, 'mergedAt', 'pr_merged')),
    prState: 'merged',
  }),
  pr_closed: (t) => ({
    taskId: t.id,
    seq: t.seq,
    status: 'failed',
    prNumber: required(t.prNumber, 'prNumber', 'pr_closed'),
    errorMessage: t.errorMessage ?? 'The pull request was closed without merging',
    prState: 'closed',
  }),
  failed: (t) => ({
    taskId: t.id,
    seq: t.seq,
    status: 'failed',
    errorMessage: t.errorMessage ?? 'Task failed',
  }),
  cancelled: (t) => ({ taskId: t.id, seq: t.seq, status: 'cancelled' }),
  retried: (t) => ({ taskId: t.id, seq: t.seq, status: 'received', retryCount: t.retryCount }),
};

export function statusEventPayload<T extends TaskEventType>(type: T, task: TaskSource): StatusEventPayload<T> {
  return STATUS_PAYLOAD_BUILDERS[type](task);
}

type UpdateEventPayloads = {
  llm_response: ServerEventPayload<'task:llm_response'>;
  pr_updated: ServerEventPayload<'task:pr_updated'>;
  review_submitted: ServerEventPayload<'task:review_submitted'>;
  checks_completed: ServerEventPayload<'task:checks_completed'>;
  comment_added: ServerEventPayload<'task:comment_added'>;
};
/** What an update event adds to the task's own fields (the rest of its payload is built from the task). */
export type UpdateEventFacts<T extends TaskUpdateEventType> = Omit<UpdateEventPayloads[T], 'taskId' | 'seq' | 'status' | keyof TaskSource>;

const MAX_COMMENT = 4000;

/** Builds an update event's payload from the task right after the change plus the event's own facts. */
const UPDATE_PAYLOAD_BUILDERS: { [T in TaskUpdateEventType]: (t: TaskSource, facts: Record<string, unknown>) => UpdateEventPayloads[T] } = {
  llm_response: (t, f) => ({
    taskId: t.id,
    seq: t.seq,
    status: t.status,
    analyzer: String(f.analyzer ?? 'unknown'),
    summary: required(t.summary, 'summary', 'llm_response'),
    taskType: required(t.taskType, 'taskType', 'llm_response'),
    recommendedAgent: required(t.recommendedAgent, 'recommendedAgent', 'llm_response'),
    likelyFiles: [...t.likelyFiles],
    suggestedCriteria: [...t.suggestedCriteria],
    questions: Array.isArray(f.questions) ? f.questions.map(String) : [],
  }),
  pr_updated: (t, f) => ({
    taskId: t.id,
    seq: t.seq,
    status: t.status,
    action: f.action as UpdateEventPayloads['pr_updated']['action'],
    prNumber: required(t.prNumber, 'prNumber', 'pr_updated'),
    prUrl: required(t.prUrl, 'prUrl', 'pr_updated'),
    prState: t.prState,
    reviewState: t.reviewState,
    checksState: t.checksState,
  }),
  review_submitted: (t, f) => ({
    taskId: t.id,
    seq: t.seq,
    status: t.status,
    prNumber: required(t.prNumber, 'prNumber', 'review_submitted'),
    outcome: f.outcome as UpdateEventPayloads['review_submitted']['outcome'],
    reviewer: String(f.reviewer ?? ''),
    url: String(f.url ?? ''),
    reviewState: t.reviewState,
  }),
  checks_completed: (t, f) => ({
    taskId: t.id,
    seq: t.seq,
    status: t.status,
    prNumber: required(t.prNumber, 'prNumber', 'checks_completed'),
    checkName: String(f.checkName ?? ''),
    checksState: required(t.checksState, 'checksState', 'checks_completed'),
    checksUrl: required(t.checksUrl, 'checksUrl', 'checks_completed'),
  }),
  comment_added: (t, f) => ({
    taskId: t.id,
    seq: t.seq,
    status: t.status,
    on: f.on as UpdateEventPayloads['comment_added']['on'],
    number: Number(f.number),
    author: String(f.author ?? ''),
    body: String(f.body ?? '').slice(0, MAX_COMMENT),
    url: String(f.url ?? ''),
  }),
};

/**
 * The stored (and broadcast) payload of any timeline event: a status event's from the
 * task alone, an update event's from the task plus its facts (who reviewed, which check…).
 */
export function eventPayload(type: TimelineEventType, task: TaskSource, facts: Record<string, unknown> = {}): Record<string, unknown> {
  return isStatusEventType(type) ? statusEventPayload(type, task) : UPDATE_PAYLOAD_BUILDERS[type](task, facts);
}

/**
 * What a retry clears: everything that belonged to the previous attempt (its analysis,
 * issue, branch, PR and CI). Field names are the task's, in the store and on the wire, so
 * the store writes this and clients apply it when they see `task:retried`.
 */
export const ATTEMPT_RESET = {
  errorMessage: null,
  summary: null,
  taskType: null,
  recommendedAgent: null,
  likelyFiles: [] as string[],
  suggestedCriteria: [] as string[],
  githubIssueNumber: null,
  githubIssueUrl: null,
  githubBranch: null,
  prNumber: null,
  prUrl: null,
  prTitle: null,
  mergeCommitSha: null,
  mergedAt: null,
  dispatchedAt: null,
  prState: null,
  reviewState: null,
  checksState: null,
  checksUrl: null,
} as const satisfies Partial<PublicTask>;

/**
 * What opening a PR clears: the reviews and CI of any PR before it, and the failure a reopened PR revives the task
 * from. The worker writes it with the PR's fields; clients apply it when they see `task:pr_opened`.
 */
export const PR_OPENED_RESET = {
  errorMessage: null,
  reviewState: null,
  checksState: null,
  checksUrl: null,
} as const satisfies Partial<PublicTask>;

/** The payload a timeline event of each type carries (stored and broadcast alike): what the builders above build. */
export type TimelineEventPayloads = StatusEventPayloads & UpdateEventPayloads;
export type TimelineEventPayload<T extends TimelineEventType = TimelineEventType> = TimelineEventPayloads[T];
/** A table with an entry for every event type, each reading that type's payload: a new type does not compile until every table handles it. */
export type PerTimelineEventType<R> = { [T in TimelineEventType]: (payload: TimelineEventPayload<T>) => R };
/** A timeline event with its payload typed by its type (a discriminated union on `eventType`). */
export type TypedTimelineEvent = {
  [T in TimelineEventType]: {
    seq: number;
    eventType: T;
    payload: TimelineEventPayload<T> & { detail?: TimelineEventDetail };
    createdAt: string;
  };
}[TimelineEventType];

/** A timeline event read as its type's payload. The one cast: the payload was built for that type (eventPayload). */
export function typedTimelineEvent(event: TimelineEvent): TypedTimelineEvent {
  return event as TypedTimelineEvent;
}

/**
 * The task fields an event sets, in the task's own field names: the inverse of the builders, so a client that
 * holds the task at seq N and applies event N+1 holds the task at N+1 (builders.spec.ts checks the round trip).
 * The switch is exhaustive: a new event type does not compile until it says what it changes.
 */
export function taskPatchFromEvent(event: TimelineEvent): Partial<PublicTask> {
  const e = typedTimelineEvent(event);
  switch (e.eventType) {
    case 'created':
      return { status: e.payload.status, title: e.payload.title };
    case 'analyzing':
    case 'coding':
    case 'cancelled':
    case 'comment_added':
      return { status: e.payload.status };
    case 'clarification_needed':
      return { status: e.payload.status, clarificationQuestions: [...e.payload.questions] };
    case 'clarified':
      return { status: e.payload.status, clarificationAnswers: [...e.payload.clarificationAnswers] };
    case 'dispatched': {
      const p = e.payload;
      return {
        status: p.status,
        githubIssueNumber: p.issueNumber,
        githubIssueUrl: p.issueUrl,
        githubBranch: p.githubBranch,
        // The analysis this dispatch acted on: absent from events stored before it was added.
        ...(p.summary !== undefined ? { summary: p.summary } : {}),
        ...(p.taskType !== undefined ? { taskType: p.taskType } : {}),
        ...(p.recommendedAgent !== undefined ? { recommendedAgent: p.recommendedAgent } : {}),
        ...(p.likelyFiles !== undefined ? { likelyFiles: [...p.likelyFiles] } : {}),
      };
    }
    case 'pr_opened': {
      const p = e.payload;
      return {
        ...PR_OPENED_RESET,
        status: p.status,
        prNumber: p.prNumber,
        prUrl: p.prUrl,
        prTitle: p.prTitle,
        ...(p.prState !== undefined ? { prState: p.prState } : {}),
      };
    }
    case 'pr_merged': {
      const p = e.payload;
      return {
        status: p.status,
        mergeCommitSha: p.mergeCommitSha,
        mergedAt: p.mergedAt,
        ...(p.prState !== undefined ? { prState: p.prState } : {}),
      };
    }
    case 'pr_closed': {
      const p = e.payload;
      return {
        status: p.status,
        prNumber: p.prNumber,
        errorMessage: p.errorMessage,
        ...(p.prState !== undefined ? { prState: p.prState } : {}),
      };
    }
    case 'failed':
      return { status: e.payload.status, errorMessage: e.payload.errorMessage };
    // A retry starts a new attempt: nothing of the previous one stays.
    case 'retried':
      return { ...ATTEMPT_RESET, status: e.payload.status, retryCount: e.payload.retryCount };
    case 'llm_response': {
      const p = e.payload;
      return {
        status: p.status,
        summary: p.summary,
        taskType: p.taskType,
        recommendedAgent: p.recommendedAgent,
        likelyFiles: [...p.likelyFiles],
        suggestedCriteria: [...p.suggestedCriteria],
      };
    }
    case 'pr_updated': {
      const p = e.payload;
      return {
        status: p.status,
        prNumber: p.prNumber,
        prUrl: p.prUrl,
        prState: p.prState,
        reviewState: p.reviewState,
        checksState: p.checksState,
      };
    }
    case 'review_submitted':
      return { status: e.payload.status, prNumber: e.payload.prNumber, reviewState: e.payload.reviewState };
    case 'checks_completed': {
      const p = e.payload;
      return { status: p.status, prNumber: p.prNumber, checksState: p.checksState, checksUrl: p.checksUrl };
    }
    default:
      return unhandled(e);
  }
}

/** Compile time: every type is handled. Run time: a type from a newer server changes nothing (its next snapshot will). */
function unhandled(_event: never): Partial<PublicTask> {
  return {};
}

/** The wire name of a stored event type: `pr_opened` → `task:pr_opened`. */
export function wireEventName<T extends TimelineEventType>(type: T): `task:${T}` {
  return `task:${type}`;
}

export function toTimelineEvent(e: EventSource): TimelineEvent {
  return { seq: e.seq, eventType: e.eventType, payload: storedPayloadOnWire(e.eventType, e.payload), createdAt: iso(e.createdAt) };
}

/**
 * A stored payload as the wire has it now. `created` events written before issue 19 (2026-12-06) stored `creator` as the user
 * object: it becomes the name, the object `createdBy` (docs/websocket.md#migration-notes). Others are copied.
 */
export function storedPayloadOnWire(type: TimelineEventType, payload: Record<string, unknown>): Record<string, unknown> {
  const creator = payload.creator;
  if (type !== 'created' || typeof creator !== 'object' || creator === null) return { ...payload };
  return { ...payload, creator: String((creator as { name?: unknown }).name ?? ''), createdBy: creator };
}

export function eventAddedPayload(taskId: string, e: EventSource): ServerEventPayload<'task:event_added'> {
  return { taskId, seq: e.seq, event: toTimelineEvent(e) };
}
