import { isStorableInstant, isUuid } from './formats';
import { TASK_STATUSES, type TaskStatus } from './status-machine';
import { CODING_AGENTS, PRIORITIES, type CodingAgent, type DashboardTask, type Priority } from './task.schema';

/**
 * A dashboard filter, as `GET /api/tasks` takes it and as the web app keeps it in
 * the URL. Every field narrows the result (they combine with AND); `status`
 * matches any of its values.
 */
export interface TaskFilter {
  /** Free text over title and description (PostgreSQL full-text search, web-search syntax). */
  q?: string;
  repo?: string;
  priority?: Priority;
  /** The coding agent: the one the creator chose, else the one the analysis recommended. */
  agent?: CodingAgent;
  status?: TaskStatus[];
  /** A creator's user id. */
  creator?: string;
  /** Dates are `YYYY-MM-DD` (a whole UTC day) or an ISO date-time; both ends inclusive. */
  createdFrom?: string;
  createdTo?: string;
  updatedFrom?: string;
  updatedTo?: string;
}

export const TASK_FILTER_KEYS = [
  'q',
  'repo',
  'priority',
  'agent',
  'status',
  'creator',
  'createdFrom',
  'createdTo',
  'updatedFrom',
  'updatedTo',
] as const;
export type TaskFilterKey = (typeof TASK_FILTER_KEYS)[number];
export const DATE_FILTER_KEYS = ['createdFrom', 'createdTo', 'updatedFrom', 'updatedTo'] as const;

/** `YYYY-MM-DD` or an ISO date-time with an explicit zone; years 0001 to 9999 (PostgreSQL has no year 0). */
export const FILTER_DATE_PATTERN = '^(?!0000)\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?(Z|[+-]\\d{2}:\\d{2}))?$';
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/**
 * A filter date as a half-open bound: `from` is the first instant included, `to` the first one
 * excluded (a date-only `to` includes its whole day). Undefined when the text is no real date.
 */
export function filterBound(value: string, end: 'from' | 'to'): Date | undefined {
  const dateOnly = DATE_ONLY.test(value);
  const ms = Date.parse(dateOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2026-02-31 over to March: a date must print back as itself.
  if (dateOnly && new Date(ms).toISOString().slice(0, 10) !== value) return undefined;
  const bound = end === 'from' ? ms : dateOnly ? ms + DAY_MS : ms + 1;
  // An offset can still carry 0001-01-01 into year 0, or the end of 9999 past what PostgreSQL reads back.
  return isStorableInstant(bound) ? new Date(bound) : undefined;
}

/** Problems a schema cannot see (impossible dates, ranges that end before they start); empty when fine. */
export function filterProblems(filter: TaskFilter): string[] {
  const problems: string[] = [];
  for (const key of DATE_FILTER_KEYS) {
    const value = filter[key];
    if (value !== undefined && !filterBound(value, key.endsWith('From') ? 'from' : 'to'))
      problems.push(`${key} "${value}" is not a real date`);
  }
  for (const [from, to] of [
    ['createdFrom', 'createdTo'],
    ['updatedFrom', 'updatedTo'],
  ] as const) {
    const a = filter[from] && filterBound(filter[from], 'from');
    const b = filter[to] && filterBound(filter[to], 'to');
    if (a && b && a >= b) problems.push(`${from} must not be after ${to}`);
  }
  return problems;
}

/** True when the filter narrows nothing. */
export function isEmptyFilter(filter: TaskFilter): boolean {
  return TASK_FILTER_KEYS.every((k) => {
    const v = filter[k];
    return v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
  });
}

/**
 * Whether a dashboard row belongs to the filtered view, decided the way the server's query
 * decides it. `unknown` when it depends on what a row does not carry (the text match, which
 * PostgreSQL's stemming decides, and the agent): the client then asks the server.
 */
export function taskMatchesFilter(row: DashboardTask, filter: TaskFilter): boolean | 'unknown' {
  if (filter.repo && row.repo !== filter.repo) return false;
  if (filter.priority && row.priority !== filter.priority) return false;
  if (filter.status?.length && !filter.status.includes(row.status)) return false;
  if (filter.creator && row.createdBy.id !== filter.creator) return false;
  if (!inRange(row.createdAt, filter.createdFrom, filter.createdTo)) return false;
  if (!inRange(row.updatedAt, filter.updatedFrom, filter.updatedTo)) return false;
  return filter.q || filter.agent ? 'unknown' : true;
}

function inRange(iso: string, from: string | undefined, to: string | undefined): boolean {
  const at = Date.parse(iso);
  const lower = from ? filterBound(from, 'from') : undefined;
  const upper = to ? filterBound(to, 'to') : undefined;
  return (!lower || at >= lower.getTime()) && (!upper || at < upper.getTime());
}

/** The filter as URL query parameters (the app's address and `GET /api/tasks` share them). */
export function filterToSearchParams(filter: TaskFilter, params = new URLSearchParams()): URLSearchParams {
  for (const key of TASK_FILTER_KEYS) {
    const value = filter[key];
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else if (value) params.set(key, value);
  }
  return params;
}

/**
 * Reads a filter back from query parameters, keeping only values that can be valid: a shared
 * link with a stale or hand-edited value still opens, without that part.
 */
export function filterFromSearchParams(params: URLSearchParams): TaskFilter {
  const filter: TaskFilter = {};
  const one = (key: TaskFilterKey) => params.get(key)?.trim() || undefined;
  const q = one('q');
  if (q) filter.q = q.slice(0, 200);
  const repo = one('repo');
  if (repo && /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/.test(repo)) filter.repo = repo;
  const priority = one('priority');
  if (priority && (PRIORITIES as readonly string[]).includes(priority)) filter.priority = priority as Priority;
  const agent = one('agent');
  if (agent && (CODING_AGENTS as readonly string[]).includes(agent)) filter.agent = agent as CodingAgent;
  const status = params.getAll('status').filter((s): s is TaskStatus => (TASK_STATUSES as readonly string[]).includes(s));
  if (status.length) filter.status = [...new Set(status)];
  const creator = one('creator');
  if (creator && isUuid(creator)) filter.creator = creator;
  for (const key of DATE_FILTER_KEYS) {
    const value = one(key);
    if (value && new RegExp(FILTER_DATE_PATTERN).test(value) && filterBound(value, 'from')) filter[key] = value;
  }
  return filter;
}
