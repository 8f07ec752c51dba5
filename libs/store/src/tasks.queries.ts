import { sql, type RawBuilder } from 'kysely';
import {
  isUuid,
  pgTimestampMs,
  STATUSES_BY_GROUP,
  withTotal,
  type TaskCountsWithTotal,
  type TaskFilter,
  type TaskStatus,
} from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import type { Db } from './db';
import type { TaskEventRow } from './schema';
import { selectTasks, toTaskRecord, visibleTo, type TaskRecord, type Viewer } from './task-record';
import { taskFilterSql } from './task-search';

export interface TaskWithEvents {
  task: TaskRecord;
  /** Ascending by seq: the whole timeline, or with `eventsLimit` its latest events. */
  events: TaskEventRow[];
  /** Whether events older than the first one returned exist (fetch them with listTaskEvents). */
  hasOlder: boolean;
}

/**
 * A task with its timeline (whole, or the latest `eventsLimit` events), or undefined when the viewer may not see it
 * (no existence leak).
 */
export async function getTask(
  db: Db,
  viewer: Viewer | 'system',
  taskId: string,
  opts: { eventsLimit?: number } = {},
): Promise<TaskWithEvents | undefined> {
  // One snapshot for the task and its events, so task.seq equals the last event's seq.
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      let query = selectTasks(trx).where('t.id', '=', taskId);
      if (viewer !== 'system') query = query.where(visibleTo(viewer));
      const row = await query.executeTakeFirst();
      if (!row) return undefined;
      const events = trx.selectFrom('taskEvents').selectAll().where('taskId', '=', taskId);
      if (opts.eventsLimit === undefined)
        return { task: toTaskRecord(row), events: await events.orderBy('seq').execute(), hasOlder: false };
      const page = latestFirst(
        await events
          .orderBy('seq', 'desc')
          .limit(opts.eventsLimit + 1)
          .execute(),
        opts.eventsLimit,
      );
      return { task: toTaskRecord(row), ...page };
    });
}

export interface TimelinePage {
  events: TaskEventRow[];
  hasOlder: boolean;
}

/**
 * The `limit` events just before seq `before` (ascending), or undefined when the viewer may not see the task.
 * Events are append-only, so no snapshot is needed: the pages a client fetches fit the one it has.
 */
export async function listTaskEvents(
  db: Db,
  viewer: Viewer,
  taskId: string,
  opts: { before: number; limit: number },
): Promise<TimelinePage | undefined> {
  if (!(await isTaskVisible(db, viewer, taskId))) return undefined;
  const rows = await db
    .selectFrom('taskEvents')
    .selectAll()
    .where('taskId', '=', taskId)
    .where('seq', '<', opts.before)
    .orderBy('seq', 'desc')
    .limit(opts.limit + 1)
    .execute();
  return latestFirst(rows, opts.limit);
}

/** Newest-first rows, read one past `limit` to learn whether more exist, as an ascending page. */
function latestFirst(rows: TaskEventRow[], limit: number): TimelinePage {
  return { events: rows.slice(0, limit).reverse(), hasOlder: rows.length > limit };
}

/** Whether the viewer may see the task: one indexed row, no timeline (an authorisation check before a read). */
export async function isTaskVisible(db: Db, viewer: Viewer, taskId: string): Promise<boolean> {
  const row = await db.selectFrom('tasks as t').select('t.id').where('t.id', '=', taskId).where(visibleTo(viewer)).executeTakeFirst();
  return row !== undefined;
}

/** Those of `taskIds` the viewer may see, in one query (a resync that joins their rooms checks them all at once). */
export async function visibleTaskIds(db: Db, viewer: Viewer, taskIds: readonly string[]): Promise<Set<string>> {
  if (taskIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('tasks as t')
    .select('t.id')
    .where('t.id', 'in', [...taskIds])
    .where(visibleTo(viewer))
    .execute();
  return new Set(rows.map((r) => r.id));
}

export interface ListTasksQuery {
  scope?: 'all' | 'mine';
  status?: TaskStatus | readonly TaskStatus[];
  creatorId?: string;
  limit?: number;
  cursor?: string | null;
  /** Search and filters (text, repository, priority, agent, dates); combined with the above. */
  filter?: Omit<TaskFilter, 'status' | 'creator'>;
}

export interface TaskPage {
  tasks: TaskRecord[];
  nextCursor: string | null;
}

export const MAX_PAGE_SIZE = 200;

/** Visible tasks, newest update first, keyset-paginated on (updated_at, id). */
export async function listTasks(db: Db, viewer: Viewer, q: ListTasksQuery = {}): Promise<TaskPage> {
  const limit = Math.min(Math.max(q.limit ?? 50, 1), MAX_PAGE_SIZE);
  let query = selectTasks(db).where(visibleTo(viewer));
  if (q.scope === 'mine') query = query.where('t.creatorId', '=', viewer.id);
  if (q.creatorId) query = query.where('t.creatorId', '=', q.creatorId);
  if (q.status !== undefined) {
    const statuses = typeof q.status === 'string' ? [q.status] : [...q.status];
    if (statuses.length > 0) query = query.where('t.status', 'in', statuses);
  }
  const filtered = q.filter && taskFilterSql(q.filter);
  if (filtered) query = query.where(filtered);
  if (q.cursor) {
    const { ts, id } = decodeCursor(q.cursor);
    query = query.where(sql<boolean>`(t.updated_at, t.id) < (${ts}::timestamptz, ${id}::uuid)`);
  }
  const rows = await query
    .orderBy('t.updatedAt', 'desc')
    .orderBy('t.id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last ? encodeCursor(last.cursorTs, last.id) : null;
  return { tasks: page.map(toTaskRecord), nextCursor };
}

/** Active / completed / failed counts of the tasks matching `where` (one aggregate query). */
async function countGroups(db: Db, where: RawBuilder<boolean>): Promise<TaskCountsWithTotal> {
  const row = await db
    .selectFrom('tasks as t')
    .select([
      countIn(STATUSES_BY_GROUP.active).as('active'),
      countIn(STATUSES_BY_GROUP.completed).as('completed'),
      countIn(STATUSES_BY_GROUP.failed).as('failed'),
    ])
    .where(where)
    .executeTakeFirstOrThrow();
  return withTotal({ activeCount: Number(row.active), completedCount: Number(row.completed), failedCount: Number(row.failed) });
}

const countIn = (statuses: readonly TaskStatus[]) =>
  sql<string>`count(*) filter (where t.status in (${sql.join(statuses.map((s) => sql.lit(s)))}))`;

/** Counts of the tasks the viewer can see (or, with `mine`, created). */
export function countTasks(db: Db, viewer: Viewer, scope: 'all' | 'mine' = 'all'): Promise<TaskCountsWithTotal> {
  return countGroups(db, scope === 'mine' ? sql<boolean>`${visibleTo(viewer)} and t.creator_id = ${viewer.id}` : visibleTo(viewer));
}

/** Counts of the tasks the viewer can see that match a filter (the dashboard's filtered view). */
export async function countFilteredTasks(db: Db, viewer: Viewer, scope: 'all' | 'mine', filter: TaskFilter): Promise<TaskCountsWithTotal> {
  const parts = [
    visibleTo(viewer),
    ...(scope === 'mine' ? [sql<boolean>`t.creator_id = ${viewer.id}`] : []),
    taskFilterSql(filter) ?? sql<boolean>`true`,
  ];
  return countGroups(db, sql<boolean>`${sql.join(parts, sql` and `)}`);
}

/** Counts of one user's private tasks (only they see them). */
export function countPrivateTasks(db: Db, userId: string): Promise<TaskCountsWithTotal> {
  return countGroups(db, sql<boolean>`t.creator_id = ${userId} and t.is_private`);
}

/** Counts of an org's shared (non-private) tasks: what every member's dashboard has in common. */
export function countOrgTasks(db: Db, orgId: string): Promise<TaskCountsWithTotal> {
  return countGroups(db, sql<boolean>`t.org_id = ${orgId} and not t.is_private`);
}

export function encodeCursor(ts: string, id: string): string {
  return Buffer.from(`${ts}|${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { ts: string; id: string } {
  const [ts, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  // The time is PostgreSQL's text form of updated_at; a forged one must be a real instant, or PostgreSQL fails on it.
  if (!ts || !id || !isUuid(id) || pgTimestampMs(ts) === undefined) {
    throw new AppError('INVALID_CURSOR', 400, 'The cursor is not valid');
  }
  return { ts, id };
}
