/**
 * The task status machine. Every status change in the product goes through
 * `eventsForTransition`: the store refuses any (from, to, event) triple that is
 * not listed here, so the table below is the single source of truth.
 */
export const TASK_STATUSES = [
  'received',
  'analyzing',
  'needs_clarification',
  'dispatched',
  'coding',
  'pr_open',
  'merged',
  'failed',
  'cancelled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Event types stored in `task_events.event_type`; the wire name is `task:<type>`. */
export const TASK_EVENT_TYPES = [
  'created',
  'analyzing',
  'clarification_needed',
  'clarified',
  'dispatched',
  'coding',
  'pr_opened',
  'pr_merged',
  'pr_closed',
  'failed',
  'cancelled',
  'retried',
] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

/**
 * Event types that record something about a task without changing its status (the
 * analyzer's answer, the PR's draft/review/CI state, comments). They are stored in
 * `task_events` with their own seq like status events and go on the wire as
 * `task:<type>`; their payload carries the unchanged `status`.
 */
export const TASK_UPDATE_EVENT_TYPES = ['llm_response', 'pr_updated', 'review_submitted', 'checks_completed', 'comment_added'] as const;
export type TaskUpdateEventType = (typeof TASK_UPDATE_EVENT_TYPES)[number];

/** Every type a timeline entry (and a `task_events` row) can have. */
export const TIMELINE_EVENT_TYPES = [...TASK_EVENT_TYPES, ...TASK_UPDATE_EVENT_TYPES] as const;
export type TimelineEventType = TaskEventType | TaskUpdateEventType;

export function isStatusEventType(type: TimelineEventType): type is TaskEventType {
  return (TASK_EVENT_TYPES as readonly string[]).includes(type);
}

/** Statuses from which nothing but a retry (failed) or nothing at all (merged, cancelled) follows. */
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['merged', 'failed', 'cancelled'];

/** Statuses a task can be cancelled from: everything before a GitHub issue exists. */
export const CANCELLABLE_STATUSES: readonly TaskStatus[] = ['received', 'analyzing', 'needs_clarification'];

/** A failed task may go back to `received` at most this many times. */
export const MAX_RETRIES = 3;

interface TransitionRule {
  readonly from: readonly TaskStatus[];
  readonly to: TaskStatus;
  readonly event: TaskEventType;
}

const NON_TERMINAL = TASK_STATUSES.filter((s) => !TERMINAL_STATUSES.includes(s));

const RULES: readonly TransitionRule[] = [
  { from: ['received'], to: 'analyzing', event: 'analyzing' },
  // Answers to the LLM's questions send the task back for re-analysis.
  { from: ['needs_clarification'], to: 'analyzing', event: 'clarified' },
  { from: ['analyzing'], to: 'needs_clarification', event: 'clarification_needed' },
  { from: ['analyzing'], to: 'dispatched', event: 'dispatched' },
  { from: ['dispatched'], to: 'coding', event: 'coding' },
  // An agent may open the PR before (or without) the branch event reaching us.
  { from: ['dispatched', 'coding'], to: 'pr_open', event: 'pr_opened' },
  // A PR closed without merge fails the task; reopening it brings it back.
  { from: ['failed'], to: 'pr_open', event: 'pr_opened' },
  { from: ['pr_open'], to: 'merged', event: 'pr_merged' },
  { from: ['pr_open'], to: 'failed', event: 'pr_closed' },
  { from: NON_TERMINAL, to: 'failed', event: 'failed' },
  { from: ['failed'], to: 'received', event: 'retried' },
  { from: CANCELLABLE_STATUSES, to: 'cancelled', event: 'cancelled' },
];

const TABLE: ReadonlyMap<string, readonly TaskEventType[]> = (() => {
  const table = new Map<string, TaskEventType[]>();
  for (const rule of RULES) {
    for (const from of rule.from) {
      const key = `${from}>${rule.to}`;
      table.set(key, [...(table.get(key) ?? []), rule.event]);
    }
  }
  return table;
})();

/** The event types a transition may emit; empty when the transition is not allowed. */
export function eventsForTransition(from: TaskStatus, to: TaskStatus): readonly TaskEventType[] {
  return TABLE.get(`${from}>${to}`) ?? [];
}

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return eventsForTransition(from, to).length > 0;
}

/** Every allowed (from, to) pair, for documentation and exhaustive tests. */
export function allowedTransitions(): ReadonlyArray<readonly [TaskStatus, TaskStatus]> {
  return [...TABLE.keys()].map((key) => key.split('>') as [TaskStatus, TaskStatus]);
}

/** The status a task has right after an event of this type (`created` → received). */
export const STATUS_AFTER_EVENT: Readonly<Record<TaskEventType, TaskStatus>> = {
  created: 'received',
  analyzing: 'analyzing',
  clarification_needed: 'needs_clarification',
  clarified: 'analyzing',
  dispatched: 'dispatched',
  coding: 'coding',
  pr_opened: 'pr_open',
  pr_merged: 'merged',
  pr_closed: 'failed',
  failed: 'failed',
  cancelled: 'cancelled',
  retried: 'received',
};

export type StatusGroup = 'active' | 'completed' | 'failed';

/** Dashboard grouping: a cancelled task is finished, not failed, so it counts as completed. */
export function statusGroup(status: TaskStatus): StatusGroup {
  if (status === 'failed') return 'failed';
  if (status === 'merged' || status === 'cancelled') return 'completed';
  return 'active';
}

export const STATUSES_BY_GROUP: Readonly<Record<StatusGroup, readonly TaskStatus[]>> = {
  active: TASK_STATUSES.filter((s) => statusGroup(s) === 'active'),
  completed: TASK_STATUSES.filter((s) => statusGroup(s) === 'completed'),
  failed: ['failed'],
};
