import { useCallback, useEffect, useRef, useState } from 'react';
import { dashboardTaskFromPublic, type DashboardTask, type PublicTask, type ServerEventPayload, type TaskCounts } from '@taskflow/events';
import { api } from '../api/client';
import { emitWithAck } from './emit-with-ack';
import { joinWithRetry } from './join-with-retry';
import { useWebSocket } from './socket';
import { upsertRow } from './task-state';

export interface Dashboard {
  rows: Map<string, DashboardTask>;
  counts: TaskCounts | null;
  nextCursor: string | null;
  loadMore(): Promise<void>;
  /** Changed rows since the first state, for the fade-in of new rows. */
  fresh: Set<string>;
}

const toRow = dashboardTaskFromPublic;

/**
 * The dashboard, live: `dashboard:state` on join (and after every reconnect,
 * which is the dashboard's resync), then row and count updates. Rows are
 * replaced only by newer ones (seq). Without live updates it polls the REST API.
 */
export function useDashboardSubscription(): Dashboard {
  const { socket, features } = useWebSocket();
  const [rows, setRows] = useState<Map<string, DashboardTask>>(new Map());
  // Shown counts = the org's shared tasks + the viewer's private ones; live updates come for each part separately.
  const [shared, setShared] = useState<TaskCounts | null>(null);
  const [own, setOwn] = useState<TaskCounts>({ activeCount: 0, completedCount: 0, failedCount: 0 });
  const counts = shared && {
    activeCount: shared.activeCount + own.activeCount,
    completedCount: shared.completedCount + own.completedCount,
    failedCount: shared.failedCount + own.failedCount,
  };
  const setCounts = (total: TaskCounts, privateOnes: TaskCounts = { activeCount: 0, completedCount: 0, failedCount: 0 }) => {
    setOwn(privateOnes);
    setShared({
      activeCount: total.activeCount - privateOnes.activeCount,
      completedCount: total.completedCount - privateOnes.completedCount,
      failedCount: total.failedCount - privateOnes.failedCount,
    });
  };
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const loaded = useRef(false);

  const poll = useCallback(async () => {
    const res = await api<{ tasks: PublicTask[]; nextCursor: string | null; counts: TaskCounts }>('GET', '/api/tasks?limit=100');
    setRows((prev) => res.tasks.map(toRow).reduce(upsertRow, prev));
    setCounts(res.counts);
    setNextCursor((c) => c ?? res.nextCursor);
  }, []);

  useEffect(() => {
    if (!socket || !features?.dashboard) {
      if (!features) return;
      // eslint-disable-next-line react-hooks/set-state-in-effect -- poll() sets state only after an await (a later task)
      void poll().catch(() => undefined);
      const timer = setInterval(() => void poll().catch(() => undefined), 5000);
      return () => clearInterval(timer);
    }
    let stopJoining: (() => void) | undefined;
    const join = () => {
      stopJoining?.();
      stopJoining = joinWithRetry(
        () => emitWithAck(socket, 'dashboard:join', {}),
        () => undefined,
      );
    };
    const onState = (state: ServerEventPayload<'dashboard:state'>) => {
      setRows((prev) => state.tasks.reduce(upsertRow, loaded.current ? prev : new Map()));
      setCounts(state.counts, state.privateCounts);
      if (!loaded.current) setNextCursor(state.nextCursor);
      loaded.current = true;
    };
    const onCounts = ({ scope, ...c }: ServerEventPayload<'dashboard:task_count_changed'>) =>
      scope === 'private' ? setOwn(c) : setShared(c);
    // A row carries its room's counts as of that change (one frame per change); older servers send them apart.
    const onRow = ({ counts: rowCounts, ...row }: ServerEventPayload<'dashboard:task_list_updated'>) => {
      setRows((prev) => upsertRow(prev, row));
      setFresh((prev) => new Set(prev).add(row.taskId));
      if (rowCounts) onCounts(rowCounts);
    };
    socket.on('dashboard:state', onState);
    socket.on('dashboard:task_list_updated', onRow);
    socket.on('dashboard:task_count_changed', onCounts);
    socket.on('connect', join);
    // This node missed broadcasts (its Redis subscription was interrupted): the re-join's snapshot catches up.
    socket.on('sync:required', join);
    if (socket.connected) join();
    return () => {
      socket.off('dashboard:state', onState);
      socket.off('dashboard:task_list_updated', onRow);
      socket.off('dashboard:task_count_changed', onCounts);
      socket.off('connect', join);
      socket.off('sync:required', join);
      stopJoining?.();
    };
  }, [socket, features, poll]);

  const loadMore = useCallback(async () => {
    if (!nextCursor) return;
    const res = await api<{ tasks: PublicTask[]; nextCursor: string | null }>(
      'GET',
      `/api/tasks?limit=100&cursor=${encodeURIComponent(nextCursor)}`,
    );
    setRows((prev) => res.tasks.map(toRow).reduce(upsertRow, prev));
    setNextCursor(res.nextCursor);
  }, [nextCursor]);

  return { rows, counts, nextCursor, loadMore, fresh };
}
