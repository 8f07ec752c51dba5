import { sql } from 'kysely';
import type { TaskStatus, TaskUpdateEventType } from '@taskflow/events';
import type { EventDetail } from './actors';
import type { Db } from './db';
import { DeliveryAlreadyAppliedError, StaleTransitionError, TaskNotFoundError } from './errors';
import { insertEvent, type CommittedEvent, type TaskPatch } from './tasks.commands';
import { recordDelivery } from './webhooks';

export interface AppendInput {
  taskId: string;
  event: TaskUpdateEventType;
  /** The statuses the task must (still) be in; the status itself does not change. */
  statuses: readonly TaskStatus[];
  /** Extra compare-and-set conditions on the task's row, e.g. that it still has this PR. */
  prNumber?: number;
  patch?: TaskPatch;
  /** What the event adds beyond the task's fields (reviewer, comment body, check name…). */
  facts?: Record<string, unknown>;
  detail?: EventDetail;
  actorId?: string | null;
  delivery?: { deliveryId: string; event: string };
}

/**
 * Records an event that changes task fields but not the status (the analyzer's answer, a
 * PR's draft/review/CI state, a comment): the same compare-and-set transaction as a status
 * transition, so seq stays gapless and the event goes through the outbox like any other.
 */
export async function appendEvent(db: Db, input: AppendInput): Promise<CommittedEvent> {
  const { taskId } = input;
  return db.transaction().execute(async (trx) => {
    const { delivery } = input;
    if (delivery && !(await recordDelivery(trx, { ...delivery, taskId, outcome: 'applied' }))) {
      throw new DeliveryAlreadyAppliedError(delivery.deliveryId);
    }
    let update = trx
      .updateTable('tasks')
      .set({ ...input.patch, seq: sql`seq + 1`, updatedAt: sql`clock_timestamp()` })
      .where('id', '=', taskId)
      .where('status', 'in', [...input.statuses]);
    if (input.prNumber !== undefined) update = update.where('prNumber', '=', input.prNumber);
    const updated = await update.returning('id').executeTakeFirst();
    if (!updated) {
      const current = await trx.selectFrom('tasks').select(['status']).where('id', '=', taskId).executeTakeFirst();
      if (!current) throw new TaskNotFoundError(taskId);
      throw new StaleTransitionError(taskId, input.statuses, current.status);
    }
    return insertEvent(trx, taskId, input.event, input.actorId ?? null, input.detail, input.facts);
  });
}
