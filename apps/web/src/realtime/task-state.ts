import {
  applyInOrder,
  ATTEMPT_RESET,
  snapshotApplies,
  type DashboardTask,
  type PublicTask,
  type SeqOutcome,
  type ServerEventPayload,
  type TimelineEvent,
} from '@taskflow/events';

/**
 * The client's copy of one task (docs/architecture.md#the-event-log-and-seq): a snapshot at seq N, then events
 * applied strictly in order by the contract's seq rule (applyInOrder): `seq <= last` is a duplicate (ignored);
 * `seq > last + 1` is a gap (the caller asks for a resync).
 */
export interface TaskView {
  task: PublicTask;
  /** Ascending by seq, without holes: the latest page of the timeline, older pages as they are loaded. */
  events: TimelineEvent[];
  last: number;
  /** The `before` of the page preceding `events` (GET /api/tasks/:id/events); null when `events` start the timeline. */
  olderCursor: number | null;
}

export type EventAdded = ServerEventPayload<'task:event_added'>;
/** The part of `task:state` this page reads: the nested (deprecated) `task`, until @taskflow/client replaces this file. */
export type TaskState = Pick<ServerEventPayload<'task:state'>, 'taskId' | 'seq' | 'task' | 'events' | 'hasOlder' | 'olderCursor'>;
/** A page of older events (GET /api/tasks/:id/events). */
export interface OlderPage {
  events: TimelineEvent[];
  hasOlder: boolean;
  olderCursor: number | null;
}

/**
 * A snapshot (the latest page) replaces the view; older events already loaded stay when they join on to it without
 * a hole, so a re-join after a reconnect does not take back what the user paged in.
 */
export function fromSnapshot(current: TaskView | undefined, state: TaskState): TaskView {
  if (current && !snapshotApplies(current.last, state.seq)) return current;
  const first = state.events[0]?.seq ?? state.seq + 1;
  const ownCursor = state.hasOlder ? (state.olderCursor ?? first) : null;
  const joins = current !== undefined && current.last >= first - 1 && (current.events[0]?.seq ?? Infinity) < first;
  if (!joins) return { task: state.task, events: state.events, last: state.seq, olderCursor: ownCursor };
  const kept = current.events.filter((e) => e.seq < first);
  return { task: state.task, events: [...kept, ...state.events], last: state.seq, olderCursor: current.olderCursor };
}

/**
 * Puts a page of older events before the view's: by seq, so live events appended meanwhile, or a page that
 * arrives twice, neither lose nor double anything. Only a page that ends right before the view's first event
 * joins on: one asked for an earlier view (a re-join replaced it by a later snapshot meanwhile) would leave a hole
 * in front of which the timeline looks complete.
 */
export function prependOlder(view: TaskView, page: OlderPage): TaskView {
  const first = view.events[0]?.seq ?? view.last + 1;
  const pageLast = page.events.at(-1)?.seq;
  if (pageLast !== undefined && pageLast !== first - 1) return view;
  const older = page.events.filter((e) => e.seq < first);
  return { ...view, events: [...older, ...view.events], olderCursor: page.hasOlder ? page.olderCursor : null };
}

export type Applied = { view: TaskView; outcome: SeqOutcome };

export function applyEvent(view: TaskView, added: EventAdded): Applied {
  const { state, outcome } = applyInOrder(view, added.seq, (v) => ({
    ...v,
    task: { ...v.task, ...patchFrom(added.event), seq: added.seq, updatedAt: added.event.createdAt },
    events: [...v.events, added.event],
  }));
  return { view: state, outcome };
}

/** The task fields an event's (allow-listed) payload carries, in the task's own field names. */
export function patchFrom(event: TimelineEvent): Partial<PublicTask> {
  const p = event.payload as Record<string, any>;
  const patch: Partial<PublicTask> = {};
  if (typeof p.status === 'string') patch.status = p.status as PublicTask['status'];
  if (event.eventType === 'clarification_needed' && Array.isArray(p.questions)) patch.clarificationQuestions = p.questions;
  if (Array.isArray(p.clarificationAnswers)) patch.clarificationAnswers = p.clarificationAnswers;
  if (typeof p.issueNumber === 'number') patch.githubIssueNumber = p.issueNumber;
  if (typeof p.issueUrl === 'string') patch.githubIssueUrl = p.issueUrl;
  if (typeof p.githubBranch === 'string') patch.githubBranch = p.githubBranch;
  if (typeof p.prNumber === 'number') patch.prNumber = p.prNumber;
  if (typeof p.prUrl === 'string') patch.prUrl = p.prUrl;
  if (typeof p.prTitle === 'string') patch.prTitle = p.prTitle;
  if (typeof p.mergeCommitSha === 'string') patch.mergeCommitSha = p.mergeCommitSha;
  if (typeof p.mergedAt === 'string') patch.mergedAt = p.mergedAt;
  if (typeof p.errorMessage === 'string') patch.errorMessage = p.errorMessage;
  if (typeof p.retryCount === 'number') patch.retryCount = p.retryCount;
  // The analysis (llm_response, dispatched) and the PR's own state (PR events) as they change.
  if (typeof p.summary === 'string') patch.summary = p.summary;
  if (typeof p.taskType === 'string') patch.taskType = p.taskType as PublicTask['taskType'];
  if (typeof p.recommendedAgent === 'string') patch.recommendedAgent = p.recommendedAgent as PublicTask['recommendedAgent'];
  if (Array.isArray(p.likelyFiles)) patch.likelyFiles = p.likelyFiles;
  if (Array.isArray(p.suggestedCriteria)) patch.suggestedCriteria = p.suggestedCriteria;
  for (const field of ['prState', 'reviewState', 'checksState', 'checksUrl'] as const) {
    if (field in p) (patch as Record<string, unknown>)[field] = p[field];
  }
  if (event.eventType === 'pr_opened') Object.assign(patch, { errorMessage: null, reviewState: null, checksState: null, checksUrl: null });
  // A retry starts a new attempt: nothing of the previous one stays on screen.
  if (event.eventType === 'retried') Object.assign(patch, ATTEMPT_RESET);
  return patch;
}

/** Dashboard rows by id: a row is replaced only by a newer one (by seq), so late or repeated updates change nothing. */
export function upsertRow(rows: ReadonlyMap<string, DashboardTask>, row: DashboardTask): Map<string, DashboardTask> {
  const existing = rows.get(row.taskId);
  if (existing && existing.seq >= row.seq) return rows as Map<string, DashboardTask>;
  const next = new Map(rows);
  next.set(row.taskId, row);
  return next;
}

export function sortByUpdate(rows: Iterable<DashboardTask>): DashboardTask[] {
  return [...rows].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.taskId.localeCompare(a.taskId));
}
