import {
  dashboardRoomOf,
  eventAddedPayload,
  rooms,
  storedPayloadOnWire,
  toDashboardTask,
  wireEventName,
  type Emit,
  type ServerEventPayload,
  type TimelineEventType,
} from '@taskflow/events';
import type { EventNotification, TaskEventRow, TaskRecord } from '@taskflow/store';

export type { Emit };

/**
 * A stored event's status broadcast. The payload was built by the contract's own builders when the event was
 * written (the store keeps it as JSON), so it is the payload of `task:<eventType>`; the one cast says so.
 */
function statusEmit<T extends TimelineEventType>(room: string, type: T, payload: Record<string, unknown>): Emit {
  return { room, event: wireEventName(type), payload: payload as ServerEventPayload<`task:${T}`> } as Emit;
}

/**
 * What a batch of a task's committed events becomes on the wire (docs/architecture.md#rooms-and-authorization):
 * per event, its status event and `task:event_added` to the task's room, in seq
 * order; once per batch, the dashboard row and the counts to the org's room —
 * or only to the creator's own room when the task is private. Without `counts`
 * the batch carries no row (a later batch of the task will: see EventPublisher);
 * the count event only when `countsChanged` (the row carries them anyway).
 */
export function broadcastsFor(
  task: TaskRecord,
  events: readonly TaskEventRow[],
  counts: ServerEventPayload<'dashboard:task_count_changed'> | undefined,
  notifications: readonly EventNotification[] = [],
  countsChanged = true,
): Emit[] {
  const emits: Emit[] = [];
  const taskRoom = rooms.task(task.id);
  const dashboardRoom = dashboardRoomOf(task);
  for (const event of events) {
    // The stored payload is the allow-listed status payload plus timeline `detail`; the status event carries only the former.
    const { detail: _detail, ...status } = event.payload;
    // Nobody can have joined a new task's room yet: `task:created` goes to the dashboards that may see it.
    const room = event.eventType === 'created' ? dashboardRoom : taskRoom;
    // A `created` stored before issue 19 (creator an object) goes out in today's shape, as its timeline entry does.
    emits.push(statusEmit(room, event.eventType, storedPayloadOnWire(event.eventType, status)));
    emits.push({ room: taskRoom, event: 'task:event_added', payload: eventAddedPayload(task.id, event) });
  }
  // Each recipient's notifications go to their own room: every tab and device of theirs.
  for (const n of notifications) {
    emits.push({
      room: rooms.user(n.userId),
      event: 'notification:created',
      payload: { notification: n.notification, unreadCount: n.unreadCount },
    });
  }
  if (!counts) return emits;
  // One frame per change: the row carries the counts; the count event only goes out when they changed.
  emits.push({ room: dashboardRoom, event: 'dashboard:task_list_updated', payload: { ...toDashboardTask(task), counts } });
  if (countsChanged) emits.push({ room: dashboardRoom, event: 'dashboard:task_count_changed', payload: counts });
  return emits;
}
