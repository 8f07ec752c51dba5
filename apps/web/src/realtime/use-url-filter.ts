import { useCallback, useEffect, useMemo, useState } from 'react';
import { filterFromSearchParams, filterToSearchParams, type TaskFilter } from '@taskflow/events';

/**
 * The dashboard filter kept in the page's address (`/?q=csv&repo=acme/web`), so a
 * filtered view can be shared as a link and survives a reload. Changes replace the
 * history entry rather than add one per keystroke.
 */
export function useUrlFilter(): [TaskFilter, (next: TaskFilter) => void] {
  const [search, setSearch] = useState(window.location.search);
  useEffect(() => {
    const onPop = () => setSearch(window.location.search);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const filter = useMemo(() => filterFromSearchParams(new URLSearchParams(search)), [search]);
  const setFilter = useCallback((next: TaskFilter) => {
    const query = filterToSearchParams(next).toString();
    window.history.replaceState(window.history.state, '', `${window.location.pathname}${query ? `?${query}` : ''}`);
    setSearch(window.location.search);
  }, []);
  return [filter, setFilter];
}
