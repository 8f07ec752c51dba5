import {
  dashboardTaskFromPublic,
  type Ack,
  type ClientMessageAck,
  type DashboardTask,
  type PublicTask,
  type ServerEventPayload,
  type TaskCounts,
} from '@taskflow/events';
import type { StopRequest, TaskflowClient } from './client';
import { TaskflowError, toTaskflowError } from './errors';
import { Store } from './store';
import { upsertRow } from './task-view';

type JoinAnswer = Ack<ClientMessageAck<'dashboard:join'>> | undefined;
/** A page of `GET /api/tasks`. */
export type Page = { tasks: PublicTask[]; nextCursor: string | null; counts: TaskCounts };
export const PAGE_SIZE = 100;
/** `fresh` keeps the ids of the last this many live changes (a long-open dashboard would otherwise grow it forever). */
export const MAX_FRESH = 200;
/** Counts with their `total` (what the specification shows), whether or not the server sent one. */
export type DashboardCounts = TaskCounts & { total: number };
export const counted = ({ activeCount, completedCount, failedCount }: TaskCounts): DashboardCounts => ({
  activeCount,
  completedCount,
  failedCount,
  total: activeCount + completedCount + failedCount,
});
const ZERO: DashboardCounts = Object.freeze(counted({ activeCount: 0, completedCount: 0, failedCount: 0 }));

/**
 * The client's membership of its dashboard room, shared by all its dashboard feeds: joined while at least one
 * holds it, again on every connect and on `sync:required` (a node that missed broadcasts: the re-join's
 * `dashboard:state` catches up); left when the last lets go.
 */
export class DashboardRoom {
  private holders = 0;
  private stopJoining: StopRequest | undefined;
  /** After a join failed for good: the next attempt (long backoff), and how many failed in a row. */
  private retry: ReturnType<typeof setTimeout> | undefined;
  private failedJoins = 0;
  private waiters: Array<(ack: JoinAnswer) => void> = [];
  private readonly answerListeners = new Set<(ack: JoinAnswer) => void>();

  constructor(private readonly client: TaskflowClient) {
    client.on('connect', () => this.holders > 0 && this.rejoin());
    client.on('sync:required', () => this.holders > 0 && this.rejoin());
  }

  /**
   * Holds the room (joining it if this is the first holder); `onAnswer` hears every join's final answer. With
   * `state`, the holder needs a `dashboard:state` of its own: when the room is already held (and no join is under
   * way, whose state is still to come) it is joined again, which the server answers with a fresh state. Returns
   * the release.
   */
  hold(onAnswer?: (ack: JoinAnswer) => void, options: { state?: boolean } = {}): () => void {
    this.holders += 1;
    if (onAnswer) this.answerListeners.add(onAnswer);
    if (this.client.connected && (this.holders === 1 || (options.state && !this.stopJoining))) this.rejoin();
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (onAnswer) this.answerListeners.delete(onAnswer);
      this.holders -= 1;
      if (this.holders > 0) return;
      this.client.cancel(this.retry);
      this.retry = undefined;
      // Held again meanwhile: that join is on the wire after this one, and must not be undone.
      const leave = () => {
        if (this.holders === 0 && this.client.connected) this.client.request('dashboard:leave', {}).catch(() => undefined);
      };
      // The server handles a socket's messages concurrently: a leave sent while the join is on the wire can be done
      // before it, which would leave the socket in the room (a task page receiving the whole org's rows).
      const stop = this.stopJoining;
      this.stopJoining = undefined;
      if (stop) stop(leave);
      else leave();
    };
  }

  /** Resolves with the final answer of the join under way, or of a new one. */
  join(): Promise<JoinAnswer> {
    const answer = new Promise<JoinAnswer>((resolve) => this.waiters.push(resolve));
    if (!this.stopJoining) this.rejoin();
    return answer;
  }

  /** Whether joins ask for `dashboard:batch` frames (until a node refuses the field). */
  private batch = true;

  /** Joins again, retried until answered, dropping the join under way. */
  private rejoin(): void {
    this.stopJoining?.();
    this.client.cancel(this.retry);
    this.retry = undefined;
    this.stopJoining = this.client.requestUntilAnswered('dashboard:join', this.batch ? { batch: true } : {}, (ack) => {
      this.stopJoining = undefined;
      // A node older than `batch` (during a rolling deploy) refuses the field: join as the specification's clients do.
      if (this.batch && ack && !ack.ok && ack.error.code === 'INVALID_PAYLOAD') {
        this.batch = false;
        return this.rejoin();
      }
      this.failedJoins = ack?.ok ? 0 : this.failedJoins + 1;
      // Failed for good: the feeds read the REST API meanwhile; the join is tried again, rarely (a connect or
      // sync:required tries it sooner).
      if (!ack?.ok && this.holders > 0) {
        const wait = this.client.rejoinBackoffMs * Math.min(2 ** (this.failedJoins - 1), 10) * (1 + Math.random() / 2);
        this.retry = this.client.later(wait, () => this.holders > 0 && this.client.connected && this.rejoin());
      }
      for (const listener of [...this.answerListeners]) listener(ack);
      for (const resolve of this.waiters.splice(0)) resolve(ack);
    });
  }
}

export interface DashboardFeedState {
  rows: ReadonlyMap<string, DashboardTask>;
  /** What the viewer sees: the org's shared tasks plus the viewer's private ones; null until the first state. */
  counts: DashboardCounts | null;
  /** The two parts of `counts`, which live updates change separately (`scope`). */
  sharedCounts: DashboardCounts | null;
  privateCounts: DashboardCounts;
  /** The cursor of the next page (loadMore); null at the end. */
  nextCursor: string | null;
  /** Rows changed live since the first state (for the fade-in of new rows): the last MAX_FRESH. */
  fresh: ReadonlySet<string>;
  loaded: boolean;
  /**
   * Whether changes arrive live (the room's last join succeeded). False until then, and after a join failed for
   * good: the feed then reads the REST API every pollMs (and `error` says why) until a join succeeds.
   */
  live: boolean;
  error?: TaskflowError;
}

export type DashboardFeedTrace =
  | { kind: 'snapshot'; rows: number }
  | { kind: 'applied'; taskId: string; seq: number }
  /** A live row whose seq is not newer than the one held: dropped. */
  | { kind: 'duplicate'; taskId: string; seq: number }
  | { kind: 'sync_required' };

export interface DashboardFeedOptions {
  onTrace?: (trace: DashboardFeedTrace) => void;
}

const sum = (a: TaskCounts, b: TaskCounts): DashboardCounts =>
  counted({
    activeCount: a.activeCount + b.activeCount,
    completedCount: a.completedCount + b.completedCount,
    failedCount: a.failedCount + b.failedCount,
  });
const minus = (a: TaskCounts, b: TaskCounts): DashboardCounts =>
  counted({
    activeCount: a.activeCount - b.activeCount,
    completedCount: a.completedCount - b.completedCount,
    failedCount: a.failedCount - b.failedCount,
  });

/**
 * The dashboard, live: `dashboard:state` on join (and after every reconnect and `sync:required`, which is the
 * dashboard's resync), then row and count updates. Rows are replaced only by newer ones (seq). Without realtime it
 * polls the REST API.
 */
export class DashboardFeed extends Store<DashboardFeedState> {
  private readonly cleanup: Array<() => void> = [];
  private closed = false;
  /** The REST poll while the room's join failed for good. */
  private poller: ReturnType<typeof setInterval> | undefined;
  /**
   * The counts came from a REST read, whose total does not say which part is private: a scoped count update
   * would add to the wrong part (a private one counted twice). They wait for the next dashboard:state.
   */
  private countsFromRest = false;

  constructor(
    readonly client: TaskflowClient,
    private readonly options: DashboardFeedOptions = {},
  ) {
    super({
      rows: new Map(),
      counts: null,
      sharedCounts: null,
      privateCounts: ZERO,
      nextCursor: null,
      fresh: new Set(),
      loaded: false,
      live: false,
    });
    const room = client.dashboardRoom;
    if (!room) {
      void this.poll();
      const timer = setInterval(() => void this.poll(), client.pollMs);
      this.cleanup.push(() => clearInterval(timer));
      return;
    }
    this.cleanup.push(
      client.on('dashboard:state', (state) => this.onState(state)),
      client.on('dashboard:task_list_updated', (row) => this.onRow(row)),
      client.on('dashboard:task_count_changed', (counts) => this.onCounts(counts)),
      client.on('sync:required', () => this.options.onTrace?.({ kind: 'sync_required' })),
      client.on('disconnect', () => this.update({ live: false })),
      // Refused for good, INTERNAL a few times or no answer: the REST list instead of nothing, every pollMs until
      // a join succeeds (the room tries again).
      room.hold((ack) => this.joined(ack), { state: true }),
      () => clearInterval(this.poller),
    );
  }

  private joined(ack: JoinAnswer): void {
    if (this.closed) return;
    if (ack?.ok) {
      clearInterval(this.poller);
      this.poller = undefined;
      return this.update({ live: true });
    }
    const error = ack ? TaskflowError.fromAck(ack.error) : new TaskflowError('TIMEOUT', 'dashboard:join was not answered');
    this.update({ live: false, error });
    this.poller ??= setInterval(() => void this.poll(), this.client.pollMs);
    void this.poll();
  }

  /** Resolves with the final answer of the room's join under way, or of a new one (a fresh `dashboard:state`). */
  join(): Promise<JoinAnswer> {
    return this.client.dashboardRoom?.join() ?? Promise.resolve(undefined);
  }

  /** The state's fields for a total that includes `privateCounts`. */
  private countsOf(total: TaskCounts, privateCounts: TaskCounts = ZERO): Partial<DashboardFeedState> {
    // The parts are kept apart: live updates change one or the other.
    const sharedCounts = minus(total, privateCounts);
    return { sharedCounts, privateCounts: counted(privateCounts), counts: sum(sharedCounts, privateCounts) };
  }

  private onState(state: ServerEventPayload<'dashboard:state'>): void {
    const s = this.getSnapshot();
    this.options.onTrace?.({ kind: 'snapshot', rows: state.tasks.length });
    this.countsFromRest = false;
    this.update({
      rows: state.tasks.reduce(upsertRow, s.loaded ? s.rows : new Map()),
      ...(s.loaded ? {} : { nextCursor: state.nextCursor }),
      loaded: true,
      error: undefined,
      ...this.countsOf(state.counts, state.privateCounts),
    });
  }

  /** A row carries its room's counts as of that change (one frame per change); older servers send them apart. */
  private onRow({ counts, ...row }: ServerEventPayload<'dashboard:task_list_updated'>): void {
    const s = this.getSnapshot();
    const rows = upsertRow(s.rows, row);
    if (rows === s.rows) this.options.onTrace?.({ kind: 'duplicate', taskId: row.taskId, seq: row.seq });
    else {
      this.options.onTrace?.({ kind: 'applied', taskId: row.taskId, seq: row.seq });
      const fresh = new Set(s.fresh);
      fresh.delete(row.taskId); // re-added last: the oldest changes go first
      fresh.add(row.taskId);
      for (const id of fresh) {
        if (fresh.size <= MAX_FRESH) break;
        fresh.delete(id);
      }
      this.update({ rows, fresh });
    }
    if (counts) this.onCounts(counts);
  }

  private onCounts({ scope, ...counts }: ServerEventPayload<'dashboard:task_count_changed'>): void {
    if (this.countsFromRest) return;
    const s = this.getSnapshot();
    if (scope === 'private') this.update({ privateCounts: counted(counts), counts: s.sharedCounts && sum(s.sharedCounts, counts) });
    else this.update({ sharedCounts: counted(counts), counts: sum(counts, s.privateCounts) });
  }

  private async poll(): Promise<void> {
    try {
      const page = await this.client.http.get<Page>(`/api/tasks?limit=${PAGE_SIZE}`);
      if (this.closed) return;
      const s = this.getSnapshot();
      this.countsFromRest = true;
      this.update({
        rows: page.tasks.map(dashboardTaskFromPublic).reduce(upsertRow, s.rows),
        nextCursor: s.loaded ? s.nextCursor : page.nextCursor,
        loaded: true,
        // Polling because the join failed: the view is not live, and the state keeps saying why.
        ...(this.poller ? {} : { error: undefined }),
        ...this.countsOf(page.counts),
      });
    } catch (err) {
      if (!this.closed) this.update({ error: toTaskflowError(err) });
    }
  }

  /** The next page of rows (older tasks), from the REST API. */
  async loadMore(): Promise<void> {
    const cursor = this.getSnapshot().nextCursor;
    if (!cursor) return;
    const page = await this.client.http.get<Page>(`/api/tasks?limit=${PAGE_SIZE}&cursor=${encodeURIComponent(cursor)}`);
    if (this.closed) return;
    this.update({ rows: page.tasks.map(dashboardTaskFromPublic).reduce(upsertRow, this.getSnapshot().rows), nextCursor: page.nextCursor });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.cleanup.splice(0)) off();
  }
}
