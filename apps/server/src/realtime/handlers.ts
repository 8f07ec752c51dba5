import { rooms, toDashboardTask, toTimelineEvent, type ClientMessage, type ClientMessageName, type ServerEventPayload, type TimelineEvent } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { countPrivateTasks, countTasks, getTask, listTasks, type Db } from '@taskflow/store';
import type { TaskflowSocket } from './socket-types';
import type { Presence } from './presence';
import { taskState } from './task-access.policy';

export interface HandlerContext {
  socket: TaskflowSocket;
  db: Db;
  presence: Presence;
  flags: { dashboard: boolean; taskDetail: boolean };
}

type Handler<M extends ClientMessageName> = (ctx: HandlerContext, message: ClientMessage<M>) => Promise<unknown>;

const NOT_FOUND = () => new AppError('NOT_FOUND', 404, 'Task not found');
const DISABLED = (what: string) => new AppError('FEATURE_DISABLED', 503, `Live ${what} updates are switched off`);

/** Past this many missed events a snapshot is cheaper than the list of events. */
export const RESYNC_EVENTS_LIMIT = 50;

export type ResyncResult =
  | { taskId: string; kind: 'events'; events: TimelineEvent[] }
  | { taskId: string; kind: 'state'; state: ServerEventPayload<'task:state'> }
  | { taskId: string; kind: 'not_found' };

/**
 * Client → server messages. Rooms are joined before the snapshot is read, so
 * the snapshot (at seq N) and the live stream (from N + 1) overlap rather than
 * leave a hole; the client drops what it already has by seq.
 */
export const HANDLERS: { [M in ClientMessageName]: Handler<M> } = {
  async 'task:join'({ socket, db, flags, presence }, { taskId }) {
    if (!flags.taskDetail) throw DISABLED('task');
    const user = socket.data.user;
    // Authorise before joining: an unauthorised socket must never sit in the room, even briefly.
    if (!(await getTask(db, user, taskId))) throw NOT_FOUND();
    await socket.join(rooms.task(taskId));
    const state = await taskState(db, user, taskId);
    if (!state) {
      await socket.leave(rooms.task(taskId));
      throw NOT_FOUND();
    }
    socket.emit('task:state', state);
    await presence.join(socket, taskId);
    return { seq: state.seq };
  },

  async 'task:leave'({ socket, presence }, { taskId }) {
    await socket.leave(rooms.task(taskId));
    await presence.leave(socket, taskId);
    return undefined;
  },

  async 'dashboard:join'({ socket, db, flags }) {
    if (!flags.dashboard) throw DISABLED('dashboard');
    const user = socket.data.user;
    await socket.join(rooms.org(user.orgId));
    const [page, counts, privateCounts] = await Promise.all([listTasks(db, user, { limit: 50 }), countTasks(db, user), countPrivateTasks(db, user.id)]);
    socket.emit('dashboard:state', { tasks: page.tasks.map(toDashboardTask), counts, privateCounts, nextCursor: page.nextCursor });
    return { count: page.tasks.length };
  },

  async 'dashboard:leave'({ socket }) {
    await socket.leave(rooms.org(socket.data.user.orgId));
    return undefined;
  },

  async resync_requested({ socket, db }, { taskIds, since }) {
    const user = socket.data.user;
    const results: ResyncResult[] = [];
    for (const taskId of taskIds) {
      const after = since?.[taskId];
      const visible = await getTask(db, user, taskId);
      if (!visible) {
        results.push({ taskId, kind: 'not_found' });
        continue;
      }
      const missed = after === undefined ? undefined : visible.events.filter((e) => e.seq > after);
      if (missed && missed.length <= RESYNC_EVENTS_LIMIT) {
        results.push({ taskId, kind: 'events', events: missed.map(toTimelineEvent) });
      } else {
        const state = await taskState(db, user, taskId);
        results.push(state ? { taskId, kind: 'state', state } : { taskId, kind: 'not_found' });
      }
    }
    return { results };
  },
};
