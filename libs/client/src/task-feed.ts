import {
  inSeqOrder,
  webhookReceivedAtOf,
  type Ack,
  type ClientMessageAck,
  type PublicTask,
  type ServerEventPayload,
} from '@taskflow/events';
import type { StopRequest, TaskflowClient } from './client';
import { isNotFound, TaskflowError, toTaskflowError } from './errors';
import { Store } from './store';
import { applyEvent, fromSnapshot, prependOlder, type EventAdded, type OlderPage, type TaskState, type TaskView } from './task-view';

export type Viewers = ServerEventPayload<'presence:updated'>['viewers'];

export interface TaskFeedState {
  /** Undefined until the first snapshot (or REST read). */
  view?: TaskView;
  viewers: Viewers;
  /** The server says there is no such task, or the viewer may not see it. */
  notFound: boolean;
  /**
   * The last failure that left the view as it was (a join refused for good, a failed REST read). While the feed
   * falls back to reading the REST API (not `live`) it stays set.
   */
  error?: TaskflowError;
  /**
   * Whether changes arrive live: the last join succeeded and the socket is connected. False before that, while
   * reconnecting, and after a join failed for good (the feed then polls the REST API and tries the join again
   * with a long backoff).
   */
  live: boolean;
}

/** What a feed saw, for tests and tools that record it (TaskMirror); the feed's behaviour does not depend on it. */
export type TaskFeedTrace =
  /** A live `task:event_added`, as received (duplicates and gaps included). */
  | { kind: 'live'; seq: number }
  | { kind: 'applied'; seq: number }
  | { kind: 'duplicate'; seq: number }
  /** `seq` arrived while the copy was at `last`: a resync follows (or is already under way). */
  | { kind: 'gap'; seq: number; last: number }
  /** A snapshot at `seq`; `applied`: the seqs it brought that the copy did not have (none when it was behind the copy). */
  | { kind: 'snapshot'; seq: number; applied: number[] }
  | { kind: 'resync'; since: number }
  /** A join or resync sent again after attempt `attempt` failed retryably (`code`; none: no ack). */
  | { kind: 'retry'; message: 'task:join' | 'resync_requested'; attempt: number; code?: string }
  | { kind: 'sync_required' };

export interface TaskFeedOptions {
  onTrace?: (trace: TaskFeedTrace) => void;
}

type JoinAnswer = Ack<ClientMessageAck<'task:join'>> | undefined;

/**
 * One task, live (docs/websocket.md#following-a-task): join its room on every connect (snapshot at seq N), apply
 * events N+1… in order, drop duplicates, resync on a gap (one at a time), catch up on `sync:required`. Events that
 * arrive between the join and its snapshot are held and applied after it. A join refused with NOT_FOUND or
 * FORBIDDEN says `notFound`; UNAVAILABLE and RATE_LIMITED are sent again; INTERNAL (a few times) or no answer
 * fall back to a REST read. Without realtime it polls the REST API.
 */
export class TaskFeed extends Store<TaskFeedState> {
  /** Live events a GitHub webhook caused, applied and not yet reported on screen (reportShown). */
  private unreported: number[] = [];
  /** Live events held while the join's snapshot is on its way; null when no join is waiting for one. */
  private pending: EventAdded[] | null = null;
  /** The resync in flight (one at a time); `again`: a gap or sync:required came meanwhile that it may not cover. */
  private resyncing: { stop: () => void; again: boolean } | null = null;
  private stopJoining: StopRequest | undefined;
  /** sync:required came while a join waited for its snapshot: resync after it (it may have been read before). */
  private syncAfterSnapshot = false;
  /** Set while a join failed for good: the REST poll and the next join attempt (long backoff). */
  private fallback: { error: TaskflowError; poll: ReturnType<typeof setInterval>; retry?: ReturnType<typeof setTimeout> } | null = null;
  /** Joins failed for good in a row, for the backoff. */
  private failedJoins = 0;
  private joinWaiters: Array<(ack: JoinAnswer) => void> = [];
  private readonly cleanup: Array<() => void> = [];
  private readonly release: () => boolean;
  private closed = false;

  constructor(
    readonly client: TaskflowClient,
    readonly taskId: string,
    private readonly options: TaskFeedOptions = {},
  ) {
    super({ viewers: [], notFound: false, live: false });
    this.release = client.holdTask(taskId);
    if (!client.socket) {
      void this.refresh();
      const timer = setInterval(() => void this.refresh(), client.pollMs);
      this.cleanup.push(() => clearInterval(timer));
      return;
    }
    this.cleanup.push(
      client.on('task:state', (state) => state.taskId === taskId && this.onSnapshot(state)),
      client.on('task:event_added', (added) => added.taskId === taskId && this.onLive(added)),
      client.on('presence:updated', (p) => p.taskId === taskId && this.update({ viewers: p.viewers })),
      client.on('connect', () => this.rejoin()),
      client.on('disconnect', () => this.update({ live: false })),
      client.on('sync:required', () => this.onSyncRequired()),
    );
    if (client.connected) this.rejoin();
  }

  private trace(t: TaskFeedTrace): void {
    this.options.onTrace?.(t);
  }

  /**
   * Joins the room: a fresh snapshot, which also covers whatever a resync in flight was asked for. Resolves with
   * the join's final answer (undefined: none came). Feeds join by themselves on every connect; this is for a
   * caller that wants the answer, or a fresh snapshot: while a join is under way it answers with that one.
   */
  join(): Promise<JoinAnswer> {
    if (this.closed) return Promise.resolve(undefined);
    const answer = new Promise<JoinAnswer>((resolve) => this.joinWaiters.push(resolve));
    if (!this.stopJoining) this.rejoin();
    return answer;
  }

  /** Starts a join, dropping the one under way (its socket is gone, or its snapshot would be older). */
  private rejoin(): void {
    if (this.closed) return;
    this.stopJoining?.();
    this.stopResync();
    this.pending = [];
    this.stopJoining = this.client.requestUntilAnswered(
      'task:join',
      { taskId: this.taskId },
      (ack) => {
        this.stopJoining = undefined;
        if (this.closed) return;
        this.joined(ack);
        for (const resolve of this.joinWaiters.splice(0)) resolve(ack);
      },
      { onRetry: (attempt, error) => this.trace({ kind: 'retry', message: 'task:join', attempt, ...(error ? { code: error.code } : {}) }) },
    );
  }

  private joined(ack: JoinAnswer): void {
    if (ack?.ok) {
      // The snapshot came (or comes) as task:state.
      this.failedJoins = 0;
      this.stopFallback();
      return this.update({ live: true, error: undefined });
    }
    // Refused for good: nothing is coming to end the buffer.
    this.pending = null;
    const error = ack ? TaskflowError.fromAck(ack.error) : new TaskflowError('TIMEOUT', 'task:join was not answered');
    if (isNotFound(error)) return this.update({ notFound: true, error, live: false });
    // INTERNAL a few times, or no answer: the REST read (which also says when the task is not there), every
    // pollMs, and the join again later; the state says meanwhile that the view is not live.
    if (!ack || error.code === 'INTERNAL') return this.startFallback(error);
    this.update({ error, live: false });
  }

  private startFallback(error: TaskflowError): void {
    this.failedJoins += 1;
    this.stopFallback();
    const poll = setInterval(() => void this.refresh(), this.client.pollMs);
    const wait = this.client.rejoinBackoffMs * Math.min(2 ** (this.failedJoins - 1), 10);
    // While disconnected the next connect joins anyway.
    const retry = setTimeout(() => this.client.connected && this.rejoin(), wait * (1 + Math.random() / 2));
    this.fallback = { error, poll, retry };
    this.update({ error, live: false });
    void this.refresh();
  }

  private stopFallback(): void {
    if (!this.fallback) return;
    clearInterval(this.fallback.poll);
    clearTimeout(this.fallback.retry);
    this.fallback = null;
  }

  private onSnapshot(state: TaskState): void {
    const before = this.getSnapshot().view;
    const view = fromSnapshot(before, state);
    const taken = view !== before ? state.events.map((e) => e.seq).filter((seq) => seq > (before?.last ?? 0)) : [];
    this.trace({ kind: 'snapshot', seq: state.seq, applied: taken });
    this.update({ view, notFound: false, error: this.fallback?.error });
    const held = this.pending ?? [];
    this.pending = null;
    for (const added of inSeqOrder(held)) this.apply(added, true);
    if (this.syncAfterSnapshot && this.client.socket) {
      this.syncAfterSnapshot = false;
      this.resync();
    }
  }

  private onLive(added: EventAdded): void {
    this.trace({ kind: 'live', seq: added.seq });
    if (this.pending) this.pending.push(added);
    else this.apply(added, true);
  }

  /** The events a resync returns take the same path (and may find another gap); `live`: it came as `task:event_added`. */
  private apply(added: EventAdded, live = false): void {
    const view = this.getSnapshot().view;
    if (!view) return;
    const { view: next, outcome } = applyEvent(view, added);
    if (outcome === 'gap') {
      this.trace({ kind: 'gap', seq: added.seq, last: view.last });
      return this.resync();
    }
    this.trace({ kind: outcome, seq: added.seq });
    if (outcome !== 'applied') return;
    // Bounded: a consumer that never reports keeps the last few.
    if (live && webhookReceivedAtOf(added.event.payload) !== undefined && this.unreported.push(added.seq) > 20) this.unreported.shift();
    this.update({ view: next });
  }

  /**
   * The page has painted the view: each live event a GitHub webhook caused that the feed applied since the last call
   * is reported (`task:shown`), for the operators' webhook → screen histogram. Call it after rendering a new view;
   * with `painted` false (a hidden tab, which paints nothing) they are forgotten instead of timed later.
   */
  reportShown(painted = true): void {
    const seqs = this.unreported.splice(0);
    if (!painted || this.closed || !this.client.connected) return;
    for (const seq of seqs) this.client.request('task:shown', { taskId: this.taskId, seq }).catch(() => undefined);
  }

  /** This node missed broadcasts (its Redis subscription was interrupted): ask for what came after `last`. */
  private onSyncRequired(): void {
    this.trace({ kind: 'sync_required' });
    // A join is waiting for its snapshot, which may have been read before the subscription came back (and so miss
    // what was published meanwhile): catch up right after it.
    if (this.pending) return void (this.syncAfterSnapshot = true);
    if (this.getSnapshot().view) this.resync();
    else if (!this.getSnapshot().notFound) this.rejoin();
  }

  /**
   * One resync at a time, sent again while the server is busy (one per out-of-order event would multiply the load
   * that made it busy); a gap seen meanwhile asks once more after it, from where the view is by then.
   */
  private resync(): void {
    if (this.resyncing) {
      this.resyncing.again = true;
      return;
    }
    const run = { stop: () => undefined as void, again: false };
    this.resyncing = run;
    run.stop = this.client.requestUntilAnswered(
      'resync_requested',
      () => {
        const since = this.getSnapshot().view?.last ?? 0;
        this.trace({ kind: 'resync', since });
        // Applied from the ack: the server need not send the snapshots again as events.
        return { taskIds: [this.taskId], since: { [this.taskId]: since }, reply: 'ack' };
      },
      (ack) => {
        this.resyncing = null;
        if (this.closed) return;
        // Refused for good (or INTERNAL / no answer, a few times): the REST read closes the gap instead of
        // leaving it open until the next event.
        if (!ack?.ok) return void this.refresh();
        const result = ack.data?.results.find((r) => r.taskId === this.taskId);
        if (result?.kind === 'state') this.onSnapshot(result.state);
        if (result?.kind === 'events') for (const event of result.events) this.apply({ taskId: this.taskId, seq: event.seq, event });
        if (result?.kind === 'not_found') this.update({ notFound: true });
        if (run.again) this.resync();
      },
      {
        onRetry: (attempt, error) =>
          this.trace({ kind: 'retry', message: 'resync_requested', attempt, ...(error ? { code: error.code } : {}) }),
      },
    );
  }

  private stopResync(): void {
    this.resyncing?.stop();
    this.resyncing = null;
  }

  /** Reads the task over REST and takes it as a snapshot (after an action answered with the task; the fallback). */
  async refresh(): Promise<void> {
    try {
      const task = await this.client.http.get<PublicTask & OlderPage>(`/api/tasks/${encodeURIComponent(this.taskId)}`);
      if (this.closed) return;
      const { events, hasOlder, olderCursor, ...rest } = task;
      this.onSnapshot({ taskId: this.taskId, seq: task.seq, task: rest, events, hasOlder, olderCursor });
    } catch (err) {
      if (this.closed) return;
      const error = toTaskflowError(err);
      this.update(isNotFound(error) ? { notFound: true, error } : { error });
    }
  }

  /** Fetches the page of events before the oldest shown (the view's `olderCursor` says whether there is one). */
  async loadOlder(): Promise<void> {
    const before = this.getSnapshot().view?.olderCursor;
    if (before === undefined || before === null) return;
    const page = await this.client.http.get<OlderPage>(`/api/tasks/${encodeURIComponent(this.taskId)}/events?before=${before}`);
    if (this.closed) return;
    // Applied to the view as it is by then: live events may have come meanwhile (prependOlder merges by seq). A view
    // a re-join replaced meanwhile starts elsewhere: the page would not join on to it (the user asks again).
    const view = this.getSnapshot().view;
    if (view && view.olderCursor === before) this.update({ view: prependOlder(view, page) });
  }

  /** Stops following: no more joins or resyncs, and the room is left (when no other feed of this client follows the task). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const last = this.release();
    // Checked again when it is sent: a feed opened meanwhile (a page mounted anew) has joined and holds the room.
    const leave = () => {
      if (last && !this.client.holdsTask(this.taskId) && this.client.connected)
        this.client.request('task:leave', { taskId: this.taskId }).catch(() => undefined);
    };
    // The server handles a socket's messages concurrently: a leave sent while the join is on the wire can be done
    // before it, and the socket would stay in the room. So it follows the join's answer.
    if (this.stopJoining) this.stopJoining(leave);
    else leave();
    this.stopJoining = undefined;
    this.stopResync();
    this.stopFallback();
    for (const off of this.cleanup.splice(0)) off();
    for (const resolve of this.joinWaiters.splice(0)) resolve(undefined);
  }
}
