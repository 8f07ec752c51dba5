import {
  MAX_RESYNC_TASKS,
  rooms,
  taskIdOfRoom,
  taskStatePayload,
  toTimelineEvent,
  type ClientMessage,
  type ClientMessageAck,
  type ClientMessageName,
  type ResyncResult,
} from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { isTaskVisible, readForResync, visibleTaskIds, type Db } from '@taskflow/store';
import type { DashboardSnapshots } from '../rooms/dashboard-snapshots';
import type { TaskflowSocket } from '../transport/socket-types';
import type { Presence } from '../presence/presence';
import type { SessionGuard } from '../transport/session-guard';
import { userRooms } from '../rooms/shared-users';
import { normaliseTaskId } from '../rooms/task-id';
import { readTaskSnapshot } from '../rooms/task-snapshot';
import { timelinePage } from '../../tasks/timeline-page';
import type { WebhookScreenTimer } from '../fanout/webhook-screen';

export interface HandlerContext {
  socket: TaskflowSocket;
  db: Db;
  presence: Presence;
  session: SessionGuard;
  snapshots: DashboardSnapshots;
  flags: { dashboard: boolean; taskDetail: boolean };
  /** Whether this node packs dashboard events for sockets that ask (WEBSOCKET_BATCH_WINDOW_MS > 0). */
  batching: boolean;
  /** Timeline events a `task:state` carries: the latest; older pages over HTTP. */
  timelinePageSize: number;
  /** Times webhook → screen from the browsers' `task:shown` reports. */
  webhookScreen: WebhookScreenTimer;
}

/** Resolves with the ack's `data` the contract names for the message. */
type Handler<M extends ClientMessageName> = (ctx: HandlerContext, message: ClientMessage<M>) => Promise<ClientMessageAck<M>>;

const NOT_FOUND = () => new AppError('NOT_FOUND', 404, 'Task not found');
const DISABLED = (what: string) => new AppError('FEATURE_DISABLED', 503, `Live ${what} updates are switched off`);

/** Past this many missed events a snapshot is cheaper than the list of events. */
const RESYNC_EVENTS_LIMIT = 50;

/**
 * Client → server messages. Rooms are joined before the snapshot is read, so
 * the snapshot (at seq N) and the live stream (from N + 1) overlap rather than
 * leave a hole; the client drops what it already has by seq.
 */
export const HANDLERS: { [M in ClientMessageName]: Handler<M> } = {
  async 'task:join'({ socket, db, flags, presence, timelinePageSize }, message) {
    if (!flags.taskDetail) throw DISABLED('task');
    const taskId = normaliseTaskId(message.taskId);
    const user = socket.data.user;
    // Authorise before joining: an unauthorised socket must never sit in the room, even briefly. The check reads
    // no timeline; the snapshot, read once after the join, answers for a task that went private meanwhile.
    if (!(await isTaskVisible(db, user, taskId))) throw NOT_FOUND();
    // Gone while we read: joining now would leave the room (and presence) behind after its cleanup ran.
    if (!socket.connected) return undefined;
    await socket.join(rooms.task(taskId));
    const state = await readTaskSnapshot(db, user, taskId, timelinePageSize);
    if (!state) {
      await socket.leave(rooms.task(taskId));
      throw NOT_FOUND();
    }
    socket.emit('task:state', state);
    await presence.join(socket, taskId);
    return { seq: state.seq };
  },

  async 'task:leave'({ socket, presence }, message) {
    const taskId = normaliseTaskId(message.taskId);
    await socket.leave(rooms.task(taskId));
    await presence.leave(socket, taskId);
    return undefined;
  },

  async 'dashboard:join'({ socket, snapshots, flags, batching }, message) {
    if (!flags.dashboard) throw DISABLED('dashboard');
    const user = socket.data.user;
    // Decided before the join, so the room's events after the snapshot all reach it one way. Once on, it stays on
    // (the ack says so): turned off, the events waiting in a batch for it would reach it neither way.
    if (message.batch) socket.data.batch = batching;
    // The user's shared room names (the adapter keeps one per socket that joins): the org's shared tasks and the
    // user's own private ones.
    const names = userRooms(user);
    await socket.join([names.org, names.dashboard]);
    // Right after the join (see DashboardSnapshots): a user's tabs joining together share one read, and a shared
    // read comes with the room's events that reached the node before this join (the later ones arrive live).
    const { state, after } = await snapshots.join(user);
    socket.emit('dashboard:state', state);
    if (after.length > 0 && socket.data.batch) socket.emit('dashboard:batch', { items: after });
    else {
      // Each item pairs an event with its own payload (BatchItem); the typed emit cannot follow a union's pairs.
      const emit = socket.emit.bind(socket) as (event: string, payload: unknown) => boolean;
      for (const { event, payload } of after) emit(event, payload);
    }
    return message.batch === undefined ? { count: state.tasks.length } : { count: state.tasks.length, batch: socket.data.batch === true };
  },

  'session:refresh': ({ socket, session }, message) => session.refresh(socket, message),

  // No read: only a socket in the task's room (authorised when it joined) may report its events.
  async 'task:shown'({ socket, webhookScreen }, message) {
    const taskId = normaliseTaskId(message.taskId);
    if (!socket.rooms.has(rooms.task(taskId))) throw NOT_FOUND();
    return { counted: webhookScreen.shown(socket, taskId, message.seq) };
  },

  async 'dashboard:leave'({ socket }) {
    const names = userRooms(socket.data.user);
    await Promise.all([socket.leave(names.org), socket.leave(names.dashboard)]);
    return undefined;
  },

  // All tasks in one bounded read (not a transaction per task); its rate cost grows with its size.
  async resync_requested({ socket, db, timelinePageSize }, { taskIds, since, reply }) {
    const sinceById = new Map(Object.entries(since ?? {}).map(([id, seq]) => [normaliseTaskId(id), seq]));
    const ids = taskIds ? [...new Set(taskIds.map(normaliseTaskId))] : joinedTasks(socket);
    if (ids.length === 0) return { results: [] };
    // The specification's clients resync after a reconnect instead of re-joining (a new connection is in no room):
    // by default, the named tasks it may see are joined, before the read as task:join does (no hole after it).
    if (reply !== 'ack') await joinVisible(socket, db, ids);
    const reads = await readForResync(
      db,
      socket.data.user,
      ids.map((taskId) => ({ taskId, since: sinceById.get(taskId) })),
      RESYNC_EVENTS_LIMIT,
      timelinePageSize,
    );
    const results = reads.map((r): ResyncResult => {
      if (r.kind === 'not_found') return r;
      if (r.kind === 'events') return { taskId: r.taskId, kind: 'events', events: r.events.map(toTimelineEvent) };
      // A snapshot, like task:join's: the latest page of the timeline.
      const state = taskStatePayload(r.task, timelinePage(r.events, r.hasOlder));
      return { taskId: r.taskId, kind: 'state', state };
    });
    // The specification's clients read `task:state` events, not the ack. Never `task:event_added`: a resync's
    // events are not live ones, and a listener for those must see each seq once.
    if (reply !== 'ack') for (const r of results) if (r.kind === 'state') socket.emit('task:state', r.state);
    return { results };
  },
};

/** Joins the rooms of those tasks the socket is not in and its user may see (checked first: never a room it may not). */
async function joinVisible(socket: TaskflowSocket, db: Db, taskIds: readonly string[]): Promise<void> {
  const outside = taskIds.filter((id) => !socket.rooms.has(rooms.task(id)));
  if (outside.length === 0) return;
  const visible = await visibleTaskIds(db, socket.data.user, outside);
  // Gone while we read: joining now would leave the rooms behind after its cleanup ran.
  if (!socket.connected) return;
  for (const id of visible) await socket.join(rooms.task(id));
}

/**
 * The tasks a resync without `taskIds` covers: every task room the socket is in, in the order it joined them.
 * Beyond MAX_RESYNC_TASKS it is refused (nothing read) rather than silently cut short.
 */
function joinedTasks(socket: TaskflowSocket): string[] {
  const ids = [...socket.rooms].flatMap((room) => taskIdOfRoom(room) ?? []);
  if (ids.length > MAX_RESYNC_TASKS)
    throw new AppError(
      'INVALID_PAYLOAD',
      400,
      `Invalid resync_requested: this socket is in ${ids.length} task rooms, more than ${MAX_RESYNC_TASKS}; name them in taskIds`,
    );
  return ids;
}
