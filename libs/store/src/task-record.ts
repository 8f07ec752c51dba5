import { sql, type Kysely, type Transaction } from 'kysely';
import { PublicTaskSchema, type CodingAgent, type TaskSource } from '@taskflow/events';
import type { Database, TasksTable } from './schema';

export type Executor = Kysely<Database> | Transaction<Database>;

/** A task as the store returns it: the public fields plus internal ones (never sent as is). */
export interface TaskRecord extends TaskSource {
  creatorId: string;
  analysis: unknown;
}

export interface Viewer {
  id: string;
  orgId: string;
}

/**
 * The columns of a TaskRecord, listed from the contract's schema (the creator is a join) plus the internal
 * ones: not `t.*`, which would also carry columns that are nobody's business, such as the search vector.
 */
const TASK_RECORD_COLUMNS = [
  ...Object.keys(PublicTaskSchema.properties).filter((k) => k !== 'creator' && k !== 'createdBy'),
  'creatorId',
  'analysis',
].map((column) => `t.${column}`) as Array<`t.${keyof TasksTable}`>;

/** tasks joined with their creator, selected in the shape of a TaskRecord. */
export function selectTasks(db: Executor) {
  return db
    .selectFrom('tasks as t')
    .innerJoin('users as u', 'u.id', 't.creatorId')
    .select(TASK_RECORD_COLUMNS)
    .select(['u.username as creatorUsername', 'u.name as creatorName', sql<string>`t.updated_at::text`.as('cursorTs')]);
}

type SelectedTask = Awaited<ReturnType<ReturnType<typeof selectTasks>['executeTakeFirstOrThrow']>>;

/** A selected row as a TaskRecord: the creator nested (`createdBy`), the pagination column (`cursorTs`, read by listTasks from the row) left out. */
export function toTaskRecord(row: SelectedTask): TaskRecord {
  const { creatorUsername, creatorName, cursorTs: _cursorTs, ...task } = row;
  return { ...task, createdBy: { id: row.creatorId, username: creatorUsername, name: creatorName } };
}

/** The agent a task goes to, over `tasks` aliased `t`: the SQL of the contract's `effectiveAgent`. */
export const EFFECTIVE_AGENT_SQL = sql<CodingAgent | null>`coalesce(nullif(t.preferred_agent, 'auto'), t.recommended_agent)`;

/**
 * Visibility (docs/architecture.md#rooms-and-authorization): the creator sees their task; the org sees it unless it is private.
 * The one statement of the rule, over `tasks` aliased `t`: reads, counts, resync and statistics all filter with it.
 */
export function visibleTo(viewer: Viewer) {
  return visibility(viewer.id, viewer.orgId);
}

/** The same rule from the other side, over `tasks t` and `users u`: whether user `u` may see task `t` (notification recipients). */
export const TASK_VISIBLE_TO_USER_ROW = visibility(sql.ref('u.id'), sql.ref('u.org_id'));

function visibility(viewerId: unknown, viewerOrgId: unknown) {
  return sql<boolean>`(t.creator_id = ${viewerId} OR (t.org_id = ${viewerOrgId} AND NOT t.is_private))`;
}
