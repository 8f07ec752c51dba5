import {
  applyInOrder,
  snapshotApplies,
  taskPatchFromEvent,
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
/**
 * What a snapshot needs (the `task:state` payload; the REST read is turned into one). The task is its top-level
 * fields; a server before them sent it only under `task` (deprecated, removed in TASK_STATE_NESTED_TASK_REMOVED_IN).
 */
export type TaskState = Pick<ServerEventPayload<'task:state'>, 'taskId' | 'seq' | 'events' | 'hasOlder' | 'olderCursor'> &
  ((PublicTask & { task?: PublicTask }) | { task: PublicTask });
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
  const task = taskOf(state);
  const first = state.events[0]?.seq ?? state.seq + 1;
  const ownCursor = state.hasOlder ? (state.olderCursor ?? first) : null;
  const joins = current !== undefined && current.last >= first - 1 && (current.events[0]?.seq ?? Infinity) < first;
  if (!joins) return { task, events: state.events, last: state.seq, olderCursor: ownCursor };
  const kept = current.events.filter((e) => e.seq < first);
  return { task, events: [...kept, ...state.events], last: state.seq, olderCursor: current.olderCursor };
}

/** The task of a snapshot: its top-level fields (the snapshot's own keys set apart), else the nested `task` of an older server. */
function taskOf(state: TaskState): PublicTask {
  if (!('id' in state)) return state.task;
  const { taskId: _taskId, events: _events, hasOlder: _hasOlder, olderCursor: _olderCursor, task: _nested, ...task } = state;
  return task;
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

/** The next event, applied to the task's fields (the contract's taskPatchFromEvent) and appended to the timeline. */
export function applyEvent(view: TaskView, added: EventAdded): Applied {
  const { state, outcome } = applyInOrder(view, added.seq, (v) => ({
    ...v,
    task: { ...v.task, ...taskPatchFromEvent(added.event), seq: added.seq, updatedAt: added.event.createdAt },
    events: [...v.events, added.event],
  }));
  return { view: state, outcome };
}

/** Dashboard rows by id: a row is replaced only by a newer one (by seq), so late or repeated updates change nothing. */
export function upsertRow(rows: ReadonlyMap<string, DashboardTask>, row: DashboardTask): Map<string, DashboardTask> {
  const existing = rows.get(row.taskId);
  if (existing && existing.seq >= row.seq) return rows as Map<string, DashboardTask>;
  const next = new Map(rows);
  next.set(row.taskId, row);
  return next;
}

/** Newest change first (ties by id, so the order is stable). */
export function sortByUpdate(rows: Iterable<DashboardTask>): DashboardTask[] {
  return [...rows].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.taskId.localeCompare(a.taskId));
}
