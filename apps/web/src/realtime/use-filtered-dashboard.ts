import { useCallback, useEffect, useEffectEvent, useRef, useState } from 'react';
import {
  dashboardTaskFromPublic,
  filterToSearchParams,
  taskMatchesFilter,
  type DashboardTask,
  type PublicTask,
  type ServerEventPayload,
  type TaskCounts,
  type TaskFilter,
} from '@taskflow/events';
import { api, ApiError } from '../api/client';
import { throttledReload } from '../pages/throttled-reload';
import { useWebSocket } from './socket';
import { upsertRow } from './task-state';

export interface FilteredDashboard {
  rows: Map<string, DashboardTask>;
  counts: TaskCounts | null;
  nextCursor: string | null;
  loadMore(): Promise<void>;
  /** The server's answer when it refused the filter (e.g. a range that ends before it starts). */
  error: string | null;
}

type Page = { tasks: PublicTask[]; nextCursor: string | null; counts: TaskCounts };
const PAGE_SIZE = 100;
/**
 * Live changes reload a filtered view at most this often: every reload is a `GET /api/tasks`, which the server
 * budgets per user (TASK_LIST_PER_MINUTE, 120): at 1.5 s a busy org cost 40 a minute per tab; at 5 s, 12, so three
 * filtered tabs (36) and the unfiltered dashboard's own reads fit.
 */
export const FILTER_RELOAD_MIN_INTERVAL_MS = 5000;

/**
 * A filtered view of the dashboard, searched on the server (the whole history, not
 * just the rows loaded). Live rows from the dashboard room are applied with the
 * predicate the server's query shares (libs/events): a row that matches is shown, a
 * row that no longer matches leaves. Where the browser cannot decide (free text,
 * which PostgreSQL stems; the agent, not on a row) an unseen row triggers a reload of
 * the first page instead. Counts of the filtered view are reloaded, throttled, after
 * any row change that touches it. Null while `filter` is empty.
 */
export function useFilteredDashboard(filter: TaskFilter, enabled: boolean): FilteredDashboard | null {
  const { socket, features } = useWebSocket();
  const query = filterToSearchParams(filter).toString();
  const [rows, setRows] = useState<Map<string, DashboardTask>>(new Map());
  // Counts belong to the query they answer: a new filter shows none until its own arrive.
  const [counted, setCounted] = useState<{ query: string; counts: TaskCounts } | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Answers to an older filter are dropped: typing fast must not show the results of a previous query.
  const generation = useRef(0);
  // Live rows are matched against the filter of the latest render, without re-subscribing on each keystroke.
  const matches = useEffectEvent((row: DashboardTask) => taskMatchesFilter(row, filter));

  const fetchFirst = useCallback(
    async (reset: boolean) => {
      const mine = ++generation.current;
      try {
        const page = await api<Page>('GET', `/api/tasks?limit=${PAGE_SIZE}&${query}`);
        if (mine !== generation.current) return;
        setRows((prev) => page.tasks.map(dashboardTaskFromPublic).reduce(upsertRow, reset ? new Map() : prev));
        setCounted({ query, counts: page.counts });
        if (reset) setNextCursor(page.nextCursor);
        setError(null);
      } catch (err) {
        if (mine !== generation.current) return;
        setError(err instanceof ApiError ? err.message : 'The search failed');
        if (reset) setRows(new Map());
      }
    },
    [query],
  );

  useEffect(() => {
    if (!enabled) return;
    // eslint-disable-next-line react-hooks/set-state-in-effect -- fetchFirst() sets state only after an await (a later task)
    void fetchFirst(true);
    const reload = throttledReload(() => void fetchFirst(false), { delayMs: 300, minIntervalMs: FILTER_RELOAD_MIN_INTERVAL_MS });
    if (!socket || !features?.dashboard) {
      const timer = setInterval(() => void fetchFirst(false), 5000);
      return () => {
        clearInterval(timer);
        reload.cancel();
      };
    }
    // The row's `counts` are the whole room's; this view counts its own filter (reloaded below).
    const onRow = ({ counts: _roomCounts, ...row }: ServerEventPayload<'dashboard:task_list_updated'>) => {
      const match = matches(row);
      setRows((prev) => {
        if (match === false) {
          if (!prev.has(row.taskId)) return prev;
          reload.changed();
          const next = new Map(prev);
          next.delete(row.taskId);
          return next;
        }
        if (match === 'unknown' && !prev.has(row.taskId)) {
          reload.changed();
          return prev;
        }
        reload.changed();
        return upsertRow(prev, row);
      });
    };
    const refresh = () => void fetchFirst(false);
    socket.on('dashboard:task_list_updated', onRow);
    socket.on('connect', refresh);
    socket.on('sync:required', refresh);
    return () => {
      reload.cancel();
      socket.off('dashboard:task_list_updated', onRow);
      socket.off('connect', refresh);
      socket.off('sync:required', refresh);
    };
  }, [enabled, fetchFirst, socket, features]);

  const loadMore = useCallback(async () => {
    if (!nextCursor) return;
    const page = await api<Page>('GET', `/api/tasks?limit=${PAGE_SIZE}&${query}&cursor=${encodeURIComponent(nextCursor)}`);
    setRows((prev) => page.tasks.map(dashboardTaskFromPublic).reduce(upsertRow, prev));
    setNextCursor(page.nextCursor);
  }, [nextCursor, query]);

  const counts = counted?.query === query ? counted.counts : null;
  return enabled ? { rows, counts, nextCursor, loadMore, error } : null;
}
