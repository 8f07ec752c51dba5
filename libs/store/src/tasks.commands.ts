import { activeTraceParent, withSpan } from '@taskflow/platform';
import { sql } from 'kysely';
import {
  ATTEMPT_RESET,
  eventPayload,
  eventsForTransition,
  MAX_RETRIES,
  TASK_EVENTS_CHANNEL,
  TERMINAL_STATUSES,
  type TaskEventType,
  type TaskStatus,
  type TimelineEventType,
} from '@taskflow/events';
import type { Db } from './db';
import { DeliveryAlreadyAppliedError, IllegalTransitionError, RetryLimitError, StaleTransitionError, TaskNotFoundError } from './errors';
import type { NewTaskRow, TaskEventRow, TaskUpdate } from './schema';
import { selectTasks, toTaskRecord, type Executor, type TaskRecord } from './task-record';
import { withActorDetail } from './actors';
import { createNotifications } from './notifications.commands';
import { recordDelivery } from './webhooks';
import { recordIdempotentAnswer, type IdempotencyClaim } from './idempotency';

export interface CommittedEvent {
  task: TaskRecord;
  event: TaskEventRow;
}

export type NewTask = Omit<NewTaskRow, 'id' | 'status' | 'seq' | 'createdAt' | 'updatedAt' | 'analysis'>;

/** Creates a task in `received` with its `created` event (seq 1), in one transaction. */
export async function createTask(db: Db, input: NewTask): Promise<CommittedEvent> {
  return db.transaction().execute(async (trx) => {
    const { id } = await trx
      .insertInto('tasks')
      .values({ ...input, status: 'received', seq: 1 })
      .returning('id')
      .executeTakeFirstOrThrow();
    return insertEvent(trx, id, 'created', input.creatorId, undefined);
  });
}

/** Columns a transition may set besides status/seq (which the store owns). */
export type TaskPatch = Omit<TaskUpdate, 'id' | 'orgId' | 'creatorId' | 'status' | 'seq' | 'createdAt' | 'updatedAt' | 'retryCount'>;

export interface TransitionInput {
  taskId: string;
  /** Statuses the task must be in for the change to apply (compare-and-set). */
  from: TaskStatus | readonly TaskStatus[];
  to: TaskStatus;
  event: TaskEventType;
  patch?: TaskPatch;
  /** Extra timeline detail (e.g. which analyzer ran); stored with the event, shown in the timeline. */
  detail?: Record<string, string | number | boolean | null>;
  actorId?: string | null;
  /**
   * The GitHub delivery this transition applies: recorded as applied in the same
   * transaction, so it counts as seen exactly when its effect is committed. Throws
   * DeliveryAlreadyAppliedError (writing nothing) when it was recorded before.
   */
  delivery?: { deliveryId: string; event: string };
  /**
   * The user's Idempotency-Key for this action: its answer (`answer` of the committed change, with `statusCode`) is
   * recorded in the same transaction. Throws IdempotencyKeyTakenError (writing nothing) when the key was used before.
   */
  idempotency?: IdempotencyClaim & { statusCode: number; answer: (committed: CommittedEvent) => unknown };
}

/**
 * One compare-and-set transaction: the status moves only if it is still one of
 * `from`, `seq` is bumped under the row lock and the event row is written with
 * that seq, so concurrent transitions serialize and seq stays gapless.
 */
export async function transition(db: Db, input: TransitionInput): Promise<CommittedEvent> {
  const { taskId, to, event } = input;
  const from = typeof input.from === 'string' ? [input.from] : [...input.from];
  for (const status of from) {
    if (!eventsForTransition(status, to).includes(event)) throw new IllegalTransitionError(status, to, event);
  }
  const isRetry = event === 'retried';
  // Its span is the parent of the event's outbox publish (tracing on): the trace shows the commit's own time.
  return withSpan('task.transition', { attributes: { 'task.id': taskId, 'task.event': event, 'task.status': to } }, () =>
    db.transaction().execute(async (trx) => {
      const { delivery } = input;
      if (delivery && !(await recordDelivery(trx, { ...delivery, taskId, outcome: 'applied' }))) {
        throw new DeliveryAlreadyAppliedError(delivery.deliveryId);
      }
      let update = trx
        .updateTable('tasks')
        .set({
          ...input.patch,
          status: to,
          seq: sql`seq + 1`,
          updatedAt: sql`clock_timestamp()`,
          completedAt: TERMINAL_STATUSES.includes(to) ? sql`clock_timestamp()` : null,
          // A retry starts a new attempt: nothing of the previous one (issue, PR, CI, analysis) stays on the task.
          ...(isRetry ? { retryCount: sql`retry_count + 1`, ...ATTEMPT_RESET, analysis: null } : {}),
        })
        .where('id', '=', taskId)
        .where('status', 'in', from);
      if (isRetry) update = update.where('retryCount', '<', MAX_RETRIES);
      const updated = await update.returning('id').executeTakeFirst();
      if (!updated) {
        const current = await trx.selectFrom('tasks').select(['status']).where('id', '=', taskId).executeTakeFirst();
        if (!current) throw new TaskNotFoundError(taskId);
        if (isRetry && from.includes(current.status)) throw new RetryLimitError(taskId, MAX_RETRIES);
        throw new StaleTransitionError(taskId, from, current.status);
      }
      const committed = await insertEvent(trx, taskId, event, input.actorId ?? null, input.detail);
      const { idempotency } = input;
      if (idempotency)
        await recordIdempotentAnswer(trx, idempotency, { statusCode: idempotency.statusCode, body: idempotency.answer(committed) });
      return committed;
    }),
  );
}

/**
 * Writes the event of a change just made to the task (its seq already bumped), with who
 * did it in its timeline detail, and the notifications it raises, in the caller's transaction.
 */
export async function insertEvent(
  trx: Executor,
  taskId: string,
  eventType: TimelineEventType,
  actorId: string | null,
  detail: TransitionInput['detail'],
  facts?: Record<string, unknown>,
): Promise<CommittedEvent> {
  const task = toTaskRecord(await selectTasks(trx).where('t.id', '=', taskId).executeTakeFirstOrThrow());
  const withActor = await withActorDetail(trx, actorId, detail);
  const payload = { ...eventPayload(eventType, task, facts), ...(withActor ? { detail: withActor } : {}) };
  const event = await trx
    .insertInto('taskEvents')
    // The outbox publish continues the committing span's trace (tracing on); null otherwise.
    .values({ taskId, seq: task.seq, eventType, payload: JSON.stringify(payload), actorId, traceParent: activeTraceParent() ?? null })
    .returningAll()
    .executeTakeFirstOrThrow();
  await createNotifications(trx, task, event.seq, eventType, payload);
  // Delivered to listeners only if and when this transaction commits: the publisher's wake-up call.
  await sql`select pg_notify(${TASK_EVENTS_CHANNEL}, ${taskId})`.execute(trx);
  return { task, event };
}
