import type { Db } from './db';
import type { Executor } from './task-record';

/**
 * A GitHub delivery id is recorded only once the delivery has been applied (in the
 * transaction of its transition) or deliberately ignored, so a delivery whose job
 * failed can be redelivered with the same id and is then applied.
 */
export interface DeliveryRecord {
  deliveryId: string;
  /** GitHub's event name (`create`, `pull_request`). */
  event: string;
  taskId?: string | null;
  /** `applied`, or `ignored` when it asked for no transition. */
  outcome: string;
}

const LEGACY_QUEUED = 'queued';

/** Returns false when the id was recorded before (the delivery is then not applied again). */
export async function recordDelivery(db: Executor, input: DeliveryRecord): Promise<boolean> {
  const inserted = await db
    .insertInto('webhookDeliveries')
    .values({ deliveryId: input.deliveryId, event: input.event, taskId: input.taskId ?? null, outcome: input.outcome })
    // Rows an older version wrote before queueing (`queued`) do not count as seen.
    .onConflict((oc) =>
      oc
        .column('deliveryId')
        .doUpdateSet({ event: input.event, taskId: input.taskId ?? null, outcome: input.outcome, receivedAt: new Date() })
        .where('webhookDeliveries.outcome', '=', LEGACY_QUEUED),
    )
    .returning('deliveryId')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** The recorded outcome of a delivery, or undefined while it has not been applied. */
export async function deliveryOutcome(db: Db, deliveryId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('webhookDeliveries')
    .select('outcome')
    .where('deliveryId', '=', deliveryId)
    .where('outcome', '!=', LEGACY_QUEUED)
    .executeTakeFirst();
  return row?.outcome;
}
