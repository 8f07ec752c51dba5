import { sql } from 'kysely';
import type { Db } from './db';
import type { TaskEventRow } from './schema';
import { selectTasks, toTaskRecord, visibleTo, type TaskRecord, type Viewer } from './task-record';

export interface ResyncRequest {
  taskId: string;
  /** The last seq the client applied; without it the answer is a snapshot. */
  since?: number;
}

export type ResyncRead =
  | { taskId: string; kind: 'events'; events: TaskEventRow[] }
  /** `events`: the latest `snapshotLimit` (all without one), ascending; `hasOlder`: some came before them. */
  | { taskId: string; kind: 'state'; task: TaskRecord; events: TaskEventRow[]; hasOlder: boolean }
  | { taskId: string; kind: 'not_found' };

/**
 * What a reconnecting client missed, for many tasks at once: at most three
 * queries in one snapshot whatever the number of tasks (visible tasks; events
 * after each task's `since`, at most `eventsLimit + 1` each; the latest
 * `snapshotLimit` events of the tasks that need a snapshot instead, or their whole
 * timelines without it). Answers in the order asked; hidden and missing tasks
 * alike are `not_found`.
 */
export async function readForResync(
  db: Db,
  viewer: Viewer,
  requests: readonly ResyncRequest[],
  eventsLimit: number,
  snapshotLimit?: number,
): Promise<ResyncRead[]> {
  // One past the limit tells whether older events exist; null is no limit in SQL.
  const snapshotRows = snapshotLimit === undefined ? null : snapshotLimit + 1;
  const asked = requests.map((r) => ({ taskId: r.taskId.toLowerCase(), since: r.since }));
  if (asked.length === 0) return [];
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const rows = await selectTasks(trx)
        .where('t.id', 'in', [...new Set(asked.map((r) => r.taskId))])
        .where(visibleTo(viewer))
        .execute();
      const tasks = new Map(rows.map((row) => [row.id, toTaskRecord(row)]));
      const wanted = asked.filter((r) => tasks.has(r.taskId));
      const byRequest = new Map<number, TaskEventRow[]>();
      if (wanted.length > 0) {
        // One row per asked task: events after `since` oldest first, or for a snapshot (lim null) the latest first.
        const { rows: events } = await sql<TaskEventRow & { req: string }>`
          select r.req, e.* from unnest(${wanted.map((r) => r.taskId)}::uuid[], ${wanted.map((r) => r.since ?? 0)}::int[],
                                 ${wanted.map((r) => (r.since === undefined ? null : eventsLimit + 1))}::int[]) with ordinality as r(task_id, since, lim, req)
          cross join lateral (
            select * from task_events te where te.task_id = r.task_id and te.seq > r.since
            order by case when r.lim is null then -te.seq else te.seq end limit coalesce(r.lim, ${snapshotRows}::int)
          ) e
          order by r.req, e.seq`.execute(trx);
        // Keyed by the request's position: the same task may be asked twice (differently cased, different since).
        for (const { req, ...e } of events) {
          const key = Number(req) - 1;
          byRequest.set(key, [...(byRequest.get(key) ?? []), e]);
        }
      }
      const overflow = wanted.filter((r, i) => r.since !== undefined && (byRequest.get(i)?.length ?? 0) > eventsLimit).map((r) => r.taskId);
      const full = new Map<string, TaskEventRow[]>();
      if (overflow.length > 0) {
        const { rows: events } = await sql<TaskEventRow>`
          select e.* from unnest(${[...new Set(overflow)]}::uuid[]) as o(task_id)
          cross join lateral (select * from task_events te where te.task_id = o.task_id order by te.seq desc limit ${snapshotRows}::int) e
          order by e.task_id, e.seq`.execute(trx);
        for (const e of events) full.set(e.taskId, [...(full.get(e.taskId) ?? []), e]);
      }
      // A snapshot's rows (ascending, maybe one past the limit) as its page.
      const page = (rows: TaskEventRow[]) =>
        snapshotLimit !== undefined && rows.length > snapshotLimit
          ? { events: rows.slice(rows.length - snapshotLimit), hasOlder: true }
          : { events: rows, hasOlder: false };
      return asked.map((r): ResyncRead => {
        const task = tasks.get(r.taskId);
        if (!task) return { taskId: r.taskId, kind: 'not_found' };
        const events = byRequest.get(wanted.indexOf(r)) ?? [];
        if (r.since === undefined) return { taskId: r.taskId, kind: 'state', task, ...page(events) };
        if (events.length > eventsLimit) return { taskId: r.taskId, kind: 'state', task, ...page(full.get(r.taskId) ?? []) };
        return { taskId: r.taskId, kind: 'events', events };
      });
    });
}
