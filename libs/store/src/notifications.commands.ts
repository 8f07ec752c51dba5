import { sql } from 'kysely';
import {
  NOTIFICATION_KINDS,
  notificationKindFor,
  notificationMessage,
  type NotificationKind,
  type TimelineEventType,
} from '@taskflow/events';
import type { Db } from './db';
import { TASK_VISIBLE_TO_USER_ROW, type Executor, type TaskRecord } from './task-record';
import { recordIdempotentAnswer, type IdempotencyClaim } from './idempotency';

/**
 * Writes the notifications a task event raises, in the event's own transaction: to the
 * task's creator and its followers who can still see it (the store's one visibility rule) and want this kind. Keyed by
 * (user, task, seq), so writing them twice changes nothing.
 */
export async function createNotifications(
  trx: Executor,
  task: Pick<TaskRecord, 'id' | 'title'>,
  seq: number,
  eventType: TimelineEventType,
  payload: Record<string, unknown>,
): Promise<number> {
  const kind = notificationKindFor(eventType, payload);
  if (!kind) return 0;
  const message = notificationMessage(kind, task.title);
  const result = await sql`
    INSERT INTO notifications (user_id, task_id, seq, kind, message)
    SELECT u.id, ${task.id}, ${seq}, ${kind}, ${message}
    FROM users u
    JOIN tasks t ON t.id = ${task.id}
    LEFT JOIN notification_preferences p ON p.user_id = u.id
    WHERE (u.id = t.creator_id OR u.id IN (SELECT user_id FROM task_follows WHERE task_id = t.id))
      AND ${TASK_VISIBLE_TO_USER_ROW}
      AND (p.kinds IS NULL OR ${kind} = ANY (p.kinds))
    ON CONFLICT (user_id, task_id, seq) DO NOTHING
  `.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

/** Marks some (or all) of a user's notifications read; returns the ids it changed. */
export async function markNotificationsRead(db: Db, userId: string, which: { ids: readonly string[] } | { all: true }): Promise<string[]> {
  let query = db
    .updateTable('notifications')
    .set({ readAt: sql`now()` })
    .where('userId', '=', userId)
    .where('readAt', 'is', null);
  if ('ids' in which) query = query.where('id', 'in', [...which.ids]);
  const rows = await query.returning('id').execute();
  return rows.map((r) => r.id);
}

export async function getNotificationPreferences(db: Db, userId: string): Promise<NotificationKind[]> {
  const row = await db.selectFrom('notificationPreferences').select('kinds').where('userId', '=', userId).executeTakeFirst();
  return row ? NOTIFICATION_KINDS.filter((k) => row.kinds.includes(k)) : [...NOTIFICATION_KINDS];
}

export async function setNotificationPreferences(db: Db, userId: string, kinds: readonly NotificationKind[]): Promise<NotificationKind[]> {
  const ordered = NOTIFICATION_KINDS.filter((k) => kinds.includes(k));
  await db
    .insertInto('notificationPreferences')
    .values({ userId, kinds: ordered })
    .onConflict((oc) => oc.column('userId').doUpdateSet({ kinds: ordered, updatedAt: sql`now()` }))
    .execute();
  return ordered;
}

/**
 * Follows are only for tasks the caller has checked the user can see. With `idempotency`, the answer is recorded
 * in the same transaction (IdempotencyKeyTakenError, nothing changed, when the key was used before).
 */
export async function setFollow(
  db: Db,
  userId: string,
  taskId: string,
  following: boolean,
  idempotency?: IdempotencyClaim & { statusCode: number },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (following) {
      await trx
        .insertInto('taskFollows')
        .values({ userId, taskId })
        .onConflict((oc) => oc.doNothing())
        .execute();
    } else {
      await trx.deleteFrom('taskFollows').where('userId', '=', userId).where('taskId', '=', taskId).execute();
    }
    if (idempotency) await recordIdempotentAnswer(trx, idempotency, { statusCode: idempotency.statusCode, body: { following } });
  });
}
