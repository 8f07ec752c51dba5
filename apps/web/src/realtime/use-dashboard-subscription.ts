import { useEffect, useState, useSyncExternalStore } from 'react';
import type { DashboardFeed, DashboardFeedState } from '@taskflow/client';
import type { DashboardTask, TaskCounts } from '@taskflow/events';
import { useFeedClient } from './socket';

export interface Dashboard {
  rows: ReadonlyMap<string, DashboardTask>;
  counts: TaskCounts | null;
  nextCursor: string | null;
  loadMore(): Promise<void>;
  /** Changed rows since the first state, for the fade-in of new rows. */
  fresh: ReadonlySet<string>;
}

const noSubscribe = () => () => undefined;
type Shown = Pick<DashboardFeedState, 'rows' | 'counts' | 'nextCursor' | 'fresh'>;
const NOTHING: Shown = Object.freeze({
  rows: new Map(),
  counts: null,
  nextCursor: null,
  fresh: new Set<string>(),
});
const nothing = (): Shown => NOTHING;
const idle = async () => undefined;

/** The dashboard, live (DashboardFeed of @taskflow/client); without live updates the feed polls the REST API. */
export function useDashboardSubscription(): Dashboard {
  const client = useFeedClient('dashboard');
  const [opened, setOpened] = useState<DashboardFeed | null>(null);
  useEffect(() => {
    if (!client) return;
    const feed = client.dashboard();
    // eslint-disable-next-line react-hooks/set-state-in-effect -- one render per client, it cannot be created during render
    setOpened(feed);
    return () => feed.close();
  }, [client]);
  const feed = opened?.client === client ? opened : null;
  const { rows, counts, nextCursor, fresh } = useSyncExternalStore<Shown>(feed?.subscribe ?? noSubscribe, feed?.getSnapshot ?? nothing);
  return { rows, counts, nextCursor, fresh, loadMore: feed ? () => feed.loadMore() : idle };
}
