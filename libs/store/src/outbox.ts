import { sql } from 'kysely';
import type { Db } from './db';
import type { TaskEventRow } from './schema';

export interface EventKey {
  taskId: string;
  seq: number;
}

/**
 * Committed events not yet handed to the broadcaster, oldest first. `olderThanMs`
 * leaves fresh events to the publisher that committed them (the sweep only picks
 * up what a crash left behind).
 */
export async function unpublishedEvents(db: Db, opts: { limit?: number; olderThanMs?: number } = {}): Promise<TaskEventRow[]> {
  let query = db.selectFrom('taskEvents').selectAll().where('publishedAt', 'is', null);
  if (opts.olderThanMs) {
    query = query.where('createdAt', '<', sql<Date>`now() - make_interval(secs => ${opts.olderThanMs / 1000})`);
  }
  return query
    .orderBy('createdAt')
    .orderBy('taskId')
    .orderBy('seq')
    .limit(opts.limit ?? 500)
    .execute();
}

export async function markPublished(db: Db, keys: readonly EventKey[]): Promise<number> {
  if (keys.length === 0) return 0;
  const result = await db
    .updateTable('taskEvents')
    .set({ publishedAt: sql`now()` })
    .where('publishedAt', 'is', null)
    .where((eb) => eb.or(keys.map((k) => eb.and([eb('taskId', '=', k.taskId), eb('seq', '=', k.seq)]))))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** A task's events not yet published, in seq order (what the publisher emits when woken for that task). */
export async function unpublishedEventsOf(db: Db, taskId: string): Promise<TaskEventRow[]> {
  return db.selectFrom('taskEvents').selectAll().where('taskId', '=', taskId).where('publishedAt', 'is', null).orderBy('seq').execute();
}
