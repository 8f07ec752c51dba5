import type { Db } from './db';

/**
 * Records a GitHub delivery id. Returns false when it was seen before, so a
 * redelivered webhook is acknowledged without being applied twice.
 */
export async function recordDelivery(
  db: Db,
  input: { deliveryId: string; event: string; taskId?: string | null; outcome: string },
): Promise<boolean> {
  const inserted = await db
    .insertInto('webhookDeliveries')
    .values({ deliveryId: input.deliveryId, event: input.event, taskId: input.taskId ?? null, outcome: input.outcome })
    .onConflict((oc) => oc.column('deliveryId').doNothing())
    .returning('deliveryId')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Undoes `recordDelivery` when the delivery could not be queued, so a redelivery is applied. */
export async function forgetDelivery(db: Db, deliveryId: string): Promise<void> {
  await db.deleteFrom('webhookDeliveries').where('deliveryId', '=', deliveryId).execute();
}
