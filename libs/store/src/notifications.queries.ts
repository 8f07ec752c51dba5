import { sql } from 'kysely';
import type { Notification } from '@taskflow/events';
import type { Db } from './db';

const columns = ['n.id', 'n.kind', 'n.taskId', 't.title as taskTitle', 'n.seq', 'n.message', 'n.createdAt', 'n.readAt'] as const;

type Row = {
  id: string;
  kind: Notification['kind'];
  taskId: string;
  taskTitle: string;
  seq: number;
  message: string;
  createdAt: Date;
  readAt: Date | null;
};

export function toNotification(r: Row): Notification {
  return {
    id: r.id,
    kind: r.kind,
    taskId: r.taskId,
    taskTitle: r.taskTitle,
    seq: r.seq,
    message: r.message,
    createdAt: r.createdAt.toISOString(),
    readAt: r.readAt ? r.readAt.toISOString() : null,
  };
}

/** A user's notifications, newest first. */
export async function listNotifications(db: Db, userId: string, opts: { limit?: number; unread?: boolean } = {}): Promise<Notification[]> {
  let query = db
    .selectFrom('notifications as n')
    .innerJoin('tasks as t', 't.id', 'n.taskId')
    .select(columns)
    .where('n.userId', '=', userId);
  if (opts.unread) query = query.where('n.readAt', 'is', null);
  const rows = await query
    .orderBy('n.createdAt', 'desc')
    .orderBy('n.id', 'desc')
    .limit(opts.limit ?? 30)
    .execute();
  return rows.map(toNotification);
}

export async function unreadNotificationCount(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('userId', '=', userId)
    .where('readAt', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface EventNotification {
  userId: string;
  notification: Notification;
  unreadCount: number;
}

/** The notifications some of a task's events raised, each with its user's unread count (what the publisher pushes). */
export async function notificationsOfEvents(db: Db, taskId: string, seqs: readonly number[]): Promise<EventNotification[]> {
  if (seqs.length === 0) return [];
  const rows = await db
    .selectFrom('notifications as n')
    .innerJoin('tasks as t', 't.id', 'n.taskId')
    .select([...columns, 'n.userId'])
    .select(sql<string>`(select count(*) from notifications u where u.user_id = n.user_id and u.read_at is null)`.as('unreadCount'))
    .where('n.taskId', '=', taskId)
    .where('n.seq', 'in', [...seqs])
    .orderBy('n.seq')
    .execute();
  return rows.map((r) => ({ userId: r.userId, notification: toNotification(r), unreadCount: Number(r.unreadCount) }));
}

export async function isFollowing(db: Db, userId: string, taskId: string): Promise<boolean> {
  const row = await db
    .selectFrom('taskFollows')
    .select('taskId')
    .where('userId', '=', userId)
    .where('taskId', '=', taskId)
    .executeTakeFirst();
  return row !== undefined;
}
