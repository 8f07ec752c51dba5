import { rooms } from '@taskflow/events';
import type { EventNotification, TaskEventRow, TaskRecord } from '@taskflow/store';
import { broadcastsFor } from './broadcast';

const task = {
  id: 't1',
  orgId: 'o1',
  creatorId: 'u1',
  isPrivate: false,
  seq: 1,
  createdAt: new Date(),
  updatedAt: new Date(),
  createdBy: { id: 'u1', username: 'a', name: 'A' },
} as unknown as TaskRecord;
const created = {
  taskId: 't1',
  seq: 1,
  eventType: 'created',
  payload: { taskId: 't1', seq: 1, status: 'received', detail: { actor: 'A' } },
  createdAt: new Date(),
} as unknown as TaskEventRow;
const counts = { activeCount: 1, completedCount: 0, failedCount: 0, total: 1, scope: 'shared' as const };

describe('broadcastsFor', () => {
  it('sends task:created to the dashboards that may see the task (nobody can be in its room yet), without the timeline detail', () => {
    const emits = broadcastsFor(task, [created], counts);
    expect(emits.filter((e) => e.event === 'task:created')).toEqual([
      { room: rooms.org('o1'), event: 'task:created', payload: { taskId: 't1', seq: 1, status: 'received' } },
    ]);
    const own = broadcastsFor({ ...task, isPrivate: true }, [created], { ...counts, scope: 'private' });
    // A private task's dashboard updates go to its creator's dashboard room, not to every socket of theirs (task pages).
    expect(own.find((e) => e.event === 'task:created')?.room).toBe(rooms.userDashboard('u1'));
    expect(own.filter((e) => e.event.startsWith('dashboard:')).map((e) => e.room)).toEqual([
      rooms.userDashboard('u1'),
      rooms.userDashboard('u1'),
    ]);
    expect(emits.find((e) => e.event === 'task:event_added')?.room).toBe(rooms.task('t1'));
  });

  it('sends a `created` stored with the old creator object with the name as creator and the object as createdBy', () => {
    const user = { id: 'u1', username: 'a', name: 'A' };
    const old = { ...created, payload: { ...created.payload, creator: user } } as TaskEventRow;
    const emits = broadcastsFor(task, [old], counts);
    expect(emits.find((e) => e.event === 'task:created')?.payload).toEqual({
      taskId: 't1',
      seq: 1,
      status: 'received',
      creator: 'A',
      createdBy: user,
    });
    const added = emits.find((e) => e.event === 'task:event_added')?.payload as { event: { payload: unknown } };
    expect(added.event.payload).toMatchObject({ creator: 'A', createdBy: user });
    expect(emits.find((e) => e.event === 'dashboard:task_list_updated')?.payload).toMatchObject({ creator: 'A', createdBy: user });
  });

  it('sends each notification to its own user’s room', () => {
    const n = (userId: string) => ({ userId, unreadCount: 2, notification: { id: `n-${userId}` } }) as unknown as EventNotification;
    const emits = broadcastsFor(task, [created], counts, [n('u1'), n('u2')]).filter((e) => e.event === 'notification:created');
    expect(emits).toEqual([
      { room: rooms.user('u1'), event: 'notification:created', payload: { notification: { id: 'n-u1' }, unreadCount: 2 } },
      { room: rooms.user('u2'), event: 'notification:created', payload: { notification: { id: 'n-u2' }, unreadCount: 2 } },
    ]);
  });
});
