import { sql, type RawBuilder } from 'kysely';
import { filterBound, filterProblems, type TaskFilter } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { EFFECTIVE_AGENT_SQL } from './task-record';

/**
 * The SQL of a dashboard filter over `tasks as t`: the same meaning as the
 * shared `taskMatchesFilter` predicate, plus full-text search on the indexed
 * `search_vector` (websearch syntax: words, "quoted phrases", -excluded, or).
 * Undefined when the filter narrows nothing.
 */
export function taskFilterSql(filter: TaskFilter): RawBuilder<boolean> | undefined {
  assertValidFilter(filter);
  const parts: RawBuilder<boolean>[] = [];
  if (filter.q?.trim()) parts.push(sql<boolean>`t.search_vector @@ websearch_to_tsquery('english', ${filter.q.trim()})`);
  if (filter.repo) parts.push(sql<boolean>`t.repo = ${filter.repo}`);
  if (filter.priority) parts.push(sql<boolean>`t.priority = ${filter.priority}`);
  if (filter.agent) parts.push(sql<boolean>`${EFFECTIVE_AGENT_SQL} = ${filter.agent}`);
  if (filter.status?.length) parts.push(sql<boolean>`t.status in (${sql.join(filter.status)})`);
  if (filter.creator) parts.push(sql<boolean>`t.creator_id = ${filter.creator}`);
  for (const [column, from, to] of [
    ['created_at', filter.createdFrom, filter.createdTo],
    ['updated_at', filter.updatedFrom, filter.updatedTo],
  ] as const) {
    if (from) parts.push(sql<boolean>`t.${sql.raw(column)} >= ${filterBound(from, 'from')!.toISOString()}::timestamptz`);
    if (to) parts.push(sql<boolean>`t.${sql.raw(column)} < ${filterBound(to, 'to')!.toISOString()}::timestamptz`);
  }
  return parts.length ? sql<boolean>`(${sql.join(parts, sql` and `)})` : undefined;
}

/** 400 INVALID_FILTER naming every problem the query schema cannot see (impossible dates, reversed ranges). */
export function assertValidFilter(filter: TaskFilter): void {
  const problems = filterProblems(filter);
  if (problems.length) throw new AppError('INVALID_FILTER', 400, `Invalid filter: ${problems.join('; ')}`);
}
