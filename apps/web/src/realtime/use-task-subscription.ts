import { useCallback, useEffect, useRef, useState } from 'react';
import { inSeqOrder, type PublicTask, type ServerEventPayload } from '@taskflow/events';
import { api } from '../api/client';
import { emitWithAck } from './emit-with-ack';
import { joinWithRetry } from './join-with-retry';
import { useWebSocket } from './socket';
import { applyEvent, fromSnapshot, prependOlder, type EventAdded, type OlderPage, type TaskState, type TaskView } from './task-state';

type Viewers = ServerEventPayload<'presence:updated'>['viewers'];
/** A view is kept with the task it shows: for another taskId the hook starts from nothing, in the same render. */
type Held = { taskId: string; view: TaskView };

export interface TaskSubscription {
  view: TaskView | undefined;
  viewers: Viewers;
  notFound: boolean;
  /** Replace the view after an action answered with the task (the live event will follow and be deduplicated). */
  refresh(): Promise<void>;
  /** Fetch the page of events before the oldest shown (the view's `olderCursor` says whether there is one). */
  loadOlder(): Promise<void>;
}

/**
 * One task, live: join its room (snapshot at seq N), apply events N+1… in
 * order, drop duplicates, resync on a gap, re-join after every reconnect.
 * Events that arrive before the snapshot are held and applied after it.
 * Without live updates it polls the REST API.
 */
export function useTaskSubscription(taskId: string): TaskSubscription {
  const { socket, features } = useWebSocket();
  const [held, setHeld] = useState<Held>();
  const [viewers, setViewers] = useState<Viewers>([]);
  /** The task whose last answer was "not found". */
  const [notFoundId, setNotFoundId] = useState<string | null>(null);
  // The latest view, for the socket handlers (they run between renders).
  const heldRef = useRef<Held | undefined>(undefined);
  const pending = useRef<EventAdded[] | null>(null);
  /** The resync in flight (one per task at a time); `again`: a gap was seen meanwhile that it may not cover. */
  const resyncing = useRef<{ stop: () => void; again: boolean } | null>(null);

  const current = useCallback(
    (): TaskView | undefined => (heldRef.current?.taskId === taskId ? heldRef.current.view : undefined),
    [taskId],
  );
  const set = useCallback(
    (view: TaskView) => {
      const next = { taskId, view };
      heldRef.current = next;
      setHeld(next);
      setNotFoundId(null);
    },
    [taskId],
  );

  const load = useCallback(async () => {
    try {
      const task = await api<PublicTask & OlderPage>('GET', `/api/tasks/${taskId}`);
      const { events, hasOlder, olderCursor, ...rest } = task;
      set(fromSnapshot(current(), { taskId, seq: task.seq, task: rest, events, hasOlder, olderCursor }));
    } catch (err) {
      if ((err as { status?: number }).status === 404) setNotFoundId(taskId);
    }
  }, [taskId, set, current]);

  const loadOlder = useCallback(async () => {
    const before = current()?.olderCursor;
    if (before === undefined || before === null) return;
    const page = await api<OlderPage>('GET', `/api/tasks/${taskId}/events?before=${before}`);
    // Applied to the view as it is by then: live events may have come meanwhile (prependOlder merges by seq). A view
    // a re-join replaced meanwhile starts elsewhere: the page would not join on to it (the user asks again).
    const view = current();
    if (view && view.olderCursor === before) set(prependOlder(view, page));
  }, [taskId, set, current]);

  const apply = useCallback(
    (added: EventAdded): void => {
      // The events a resync returns take the same path (and may find another gap).
      function step(next: EventAdded): void {
        const view = current();
        if (!view) return;
        const { view: applied, outcome } = applyEvent(view, next);
        if (outcome === 'applied') set(applied);
        if (outcome === 'gap') resync();
      }
      // One resync at a time, sent again while the server is busy (one per out-of-order event would multiply the
      // load that made it busy); a gap seen meanwhile asks once more after it, from where the view is by then.
      function resync(): void {
        if (!socket) return;
        if (resyncing.current) {
          resyncing.current.again = true;
          return;
        }
        const run: { stop: () => void; again: boolean } = { stop: () => undefined, again: false };
        resyncing.current = run;
        run.stop = joinWithRetry(
          () => emitWithAck(socket, 'resync_requested', { taskIds: [taskId], since: { [taskId]: current()?.last ?? 0 } }),
          (ack) => {
            resyncing.current = null;
            // Refused for good (or INTERNAL / no answer, a few times): the REST read closes the gap instead of
            // leaving it open until the next event.
            if (!ack?.ok) return void load();
            const result = ack.data?.results[0];
            if (result?.kind === 'state') set(fromSnapshot(current(), result.state));
            if (result?.kind === 'events') for (const event of result.events) step({ taskId, seq: event.seq, event });
            if (run.again) resync();
          },
        );
      }
      step(added);
    },
    [socket, taskId, set, load, current],
  );

  useEffect(() => {
    if (!socket || !features?.taskDetail) {
      // eslint-disable-next-line react-hooks/set-state-in-effect -- load() sets state only after an await (a later task)
      void load();
      const timer = setInterval(() => void load(), 5000);
      return () => clearInterval(timer);
    }
    let stopJoining: (() => void) | undefined;
    const stopResync = () => {
      resyncing.current?.stop();
      resyncing.current = null;
    };
    const join = () => {
      stopJoining?.();
      // The join's snapshot covers whatever a resync in flight was asked for.
      stopResync();
      pending.current = [];
      stopJoining = joinWithRetry(
        () => emitWithAck(socket, 'task:join', { taskId }),
        (ack) => {
          // INTERNAL a few times, or no answer: read the task over REST (which also says when it is not found).
          if (!ack || (!ack.ok && ack.error.code === 'INTERNAL')) {
            pending.current = null;
            return void load();
          }
          if (!ack.ok) setNotFoundId(taskId);
        },
      );
    };
    const onState = (state: TaskState) => {
      if (state.taskId !== taskId) return;
      set(fromSnapshot(current(), state));
      const held = pending.current ?? [];
      pending.current = null;
      for (const e of inSeqOrder(held)) apply(e);
    };
    const onEvent = (added: EventAdded) => {
      if (added.taskId !== taskId) return;
      if (pending.current) pending.current.push(added);
      else apply(added);
    };
    const onPresence = (p: ServerEventPayload<'presence:updated'>) => p.taskId === taskId && setViewers(p.viewers);
    socket.on('task:state', onState);
    socket.on('task:event_added', onEvent);
    socket.on('presence:updated', onPresence);
    socket.on('connect', join);
    // This node missed broadcasts (its Redis subscription was interrupted): the re-join's snapshot catches up.
    socket.on('sync:required', join);
    if (socket.connected) join();
    return () => {
      socket.off('task:state', onState);
      socket.off('task:event_added', onEvent);
      socket.off('presence:updated', onPresence);
      socket.off('connect', join);
      socket.off('sync:required', join);
      stopJoining?.();
      stopResync();
      if (socket.connected) socket.emit('task:leave', { taskId }, () => undefined);
    };
  }, [socket, features?.taskDetail, taskId, set, apply, load, current]);

  return { view: held?.taskId === taskId ? held.view : undefined, viewers, notFound: notFoundId === taskId, refresh: load, loadOlder };
}
