import { useCallback, useEffect, useRef, useState } from 'react';
import { inSeqOrder, type PublicTask, type ServerEventPayload, type TimelineEvent } from '@taskflow/events';
import { api } from '../api/client';
import { emitWithAck } from './emit-with-ack';
import { useWebSocket } from './socket';
import { applyEvent, fromSnapshot, type EventAdded, type TaskState, type TaskView } from './task-state';

type Viewers = ServerEventPayload<'presence:updated'>['viewers'];

export interface TaskSubscription {
  view: TaskView | undefined;
  viewers: Viewers;
  notFound: boolean;
  /** Replace the view after an action answered with the task (the live event will follow and be deduplicated). */
  refresh(): Promise<void>;
}

/**
 * One task, live: join its room (snapshot at seq N), apply events N+1… in
 * order, drop duplicates, resync on a gap, re-join after every reconnect.
 * Events that arrive before the snapshot are held and applied after it.
 * Without live updates it polls the REST API.
 */
export function useTaskSubscription(taskId: string): TaskSubscription {
  const { socket, features } = useWebSocket();
  const [view, setView] = useState<TaskView>();
  const [viewers, setViewers] = useState<Viewers>([]);
  const [notFound, setNotFound] = useState(false);
  const viewRef = useRef<TaskView | undefined>(undefined);
  const pending = useRef<EventAdded[] | null>(null);

  const set = useCallback((next: TaskView | undefined) => {
    viewRef.current = next;
    setView(next);
  }, []);

  const load = useCallback(async () => {
    try {
      const task = await api<PublicTask & { events: TimelineEvent[] }>('GET', `/api/tasks/${taskId}`);
      const { events, ...rest } = task;
      set(fromSnapshot(viewRef.current, { taskId, seq: task.seq, task: rest as PublicTask, events }));
    } catch (err) {
      if ((err as { status?: number }).status === 404) setNotFound(true);
    }
  }, [taskId, set]);

  const apply = useCallback(
    (added: EventAdded): void => {
      const current = viewRef.current;
      if (!current) return;
      const { view: next, outcome } = applyEvent(current, added);
      if (outcome === 'applied') set(next);
      if (outcome === 'gap' && socket) {
        void emitWithAck(socket, 'resync_requested', { taskIds: [taskId], since: { [taskId]: current.last } })
          .then((ack) => {
            const result = ack.ok ? ack.data?.results[0] : undefined;
            if (result?.kind === 'state') set(fromSnapshot(viewRef.current, result.state));
            if (result?.kind === 'events') for (const event of result.events) apply({ taskId, seq: event.seq, event });
          })
          .catch(() => void load());
      }
    },
    [socket, taskId, set, load],
  );

  useEffect(() => {
    set(undefined);
    setNotFound(false);
    if (!socket || !features?.taskDetail) {
      void load();
      const timer = setInterval(() => void load(), 5000);
      return () => clearInterval(timer);
    }
    const join = () => {
      pending.current = [];
      emitWithAck(socket, 'task:join', { taskId })
        .then((ack) => {
          if (!ack.ok) setNotFound(true);
        })
        .catch(() => undefined);
    };
    const onState = (state: TaskState) => {
      if (state.taskId !== taskId) return;
      set(fromSnapshot(viewRef.current, state));
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
      if (socket.connected) socket.emit('task:leave', { taskId }, () => undefined);
    };
  }, [socket, features?.taskDetail, taskId, set, apply, load]);

  return { view, viewers, notFound, refresh: load };
}
