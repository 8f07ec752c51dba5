import { useEffect, useEffectEvent, useState, useSyncExternalStore } from 'react';
import type { FilteredDashboardFeed, FilteredDashboardState } from '@taskflow/client';
import { filterToSearchParams, type DashboardTask, type TaskCounts, type TaskFilter } from '@taskflow/events';
import { useFeedClient } from './socket';

export interface FilteredDashboard {
  rows: ReadonlyMap<string, DashboardTask>;
  counts: TaskCounts | null;
  nextCursor: string | null;
  loadMore(): Promise<void>;
  /** The server's answer when it refused the filter (e.g. a range that ends before it starts). */
  error: string | null;
}

const noSubscribe = () => () => undefined;
type Shown = Pick<FilteredDashboardState, 'rows' | 'counts' | 'nextCursor' | 'error'>;
const NOTHING: Shown = Object.freeze({ rows: new Map(), counts: null, nextCursor: null });
const nothing = (): Shown => NOTHING;

/**
 * A filtered view of the dashboard, searched on the server and kept current by live rows (FilteredDashboardFeed of
 * @taskflow/client). One feed while the view is on; a new filter is handed to it (its answers replace the old
 * ones). Null while not `enabled` (an empty filter).
 */
export function useFilteredDashboard(filter: TaskFilter, enabled: boolean): FilteredDashboard | null {
  const client = useFeedClient('dashboard');
  const [opened, setOpened] = useState<FilteredDashboardFeed | null>(null);
  const query = filterToSearchParams(filter).toString();
  // The filter of the latest render, read by the effects below without re-opening the feed on each keystroke.
  const currentFilter = useEffectEvent(() => filter);
  useEffect(() => {
    if (!client || !enabled) return;
    const feed = client.dashboard({ filter: currentFilter() });
    // eslint-disable-next-line react-hooks/set-state-in-effect -- one render per view, it cannot be created during render
    setOpened(feed);
    return () => feed.close();
  }, [client, enabled]);
  const feed = enabled && opened?.client === client ? opened : null;
  useEffect(() => feed?.setFilter(currentFilter()), [feed, query]);
  const state = useSyncExternalStore<Shown>(feed?.subscribe ?? noSubscribe, feed?.getSnapshot ?? nothing);
  if (!enabled) return null;
  return {
    rows: state.rows,
    counts: state.counts,
    nextCursor: state.nextCursor,
    error: state.error ? state.error.message : null,
    loadMore: async () => feed?.loadMore(),
  };
}
