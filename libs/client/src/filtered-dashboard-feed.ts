import {
  dashboardTaskFromPublic,
  filterToSearchParams,
  taskMatchesFilter,
  type DashboardTask,
  type ServerEventPayload,
  type TaskFilter,
} from '@taskflow/events';
import type { TaskflowClient } from './client';
import { counted, PAGE_SIZE, type DashboardCounts, type DashboardFeedOptions, type Page } from './dashboard-feed';
import { TaskflowError, toTaskflowError } from './errors';
import { Store } from './store';
import { throttledReload } from './throttled-reload';
import { upsertRow } from './task-view';

export interface FilteredDashboardState {
  rows: ReadonlyMap<string, DashboardTask>;
  /** The filter's own counts (from the server's search); null until they arrive for the current filter. */
  counts: DashboardCounts | null;
  nextCursor: string | null;
  loaded: boolean;
  /** The server's answer when it refused the filter (e.g. a range that ends before it starts). */
  error?: TaskflowError;
}

/**
 * Live changes reload a filtered view at most this often: every reload is a `GET /api/tasks`, which the server
 * budgets per user (TASK_LIST_PER_MINUTE, 120): at 5 s, 12 a minute, so three filtered tabs (36) and the unfiltered
 * dashboard's own reads fit.
 */
export const FILTER_RELOAD_MIN_INTERVAL_MS = 5000;

/**
 * A filtered view of the dashboard, searched on the server (the whole history, not just the rows loaded). Live rows
 * from the dashboard room are applied with the predicate the server's query shares (taskMatchesFilter): a row that
 * matches is shown, one that no longer matches leaves. Where the client cannot decide (free text, which PostgreSQL
 * stems; the agent, not on a row) an unseen row triggers a reload of the first page instead. The filter's counts
 * are reloaded, throttled, after any row change that touches it.
 */
export class FilteredDashboardFeed extends Store<FilteredDashboardState> {
  private readonly cleanup: Array<() => void> = [];
  private readonly reload = throttledReload(() => void this.fetchFirst(false), {
    delayMs: 300,
    minIntervalMs: FILTER_RELOAD_MIN_INTERVAL_MS,
  });
  /** Answers to an older filter are dropped: typing fast must not show the results of a previous query. */
  private generation = 0;
  /** A reset (setFilter's first page) not yet answered: any reload meanwhile must reset too, or the old rows stay. */
  private resetPending = false;
  private query: string;
  private closed = false;

  constructor(
    readonly client: TaskflowClient,
    private filter: TaskFilter,
    options: DashboardFeedOptions = {},
  ) {
    super({ rows: new Map(), counts: null, nextCursor: null, loaded: false });
    this.query = filterToSearchParams(filter).toString();
    void this.fetchFirst(true);
    const room = client.dashboardRoom;
    if (!room) {
      const timer = setInterval(() => void this.fetchFirst(false), client.pollMs);
      this.cleanup.push(() => clearInterval(timer));
      return;
    }
    this.cleanup.push(
      client.on('dashboard:task_list_updated', (row) => this.onRow(row)),
      client.on('connect', () => void this.fetchFirst(false)),
      client.on('sync:required', () => {
        options.onTrace?.({ kind: 'sync_required' });
        void this.fetchFirst(false);
      }),
      room.hold(),
    );
  }

  /** Another filter: its first page replaces the rows, and its own counts replace the old ones. */
  setFilter(filter: TaskFilter): void {
    const query = filterToSearchParams(filter).toString();
    if (query === this.query) return;
    this.filter = filter;
    this.query = query;
    this.update({ counts: null });
    // A reload already due would ask for the new filter anyway: this one replaces it.
    this.reload.cancel();
    void this.fetchFirst(true);
  }

  private async fetchFirst(resetAsked: boolean): Promise<void> {
    const mine = ++this.generation;
    // Each load drops the answers of the ones before: one that drops a reset must reset itself.
    const reset = resetAsked || this.resetPending;
    this.resetPending = reset;
    // A new filter's first page is what the user asked for, not a reload for a change: the first live change after
    // it reloads within delayMs (as a change after a quiet spell does), not FILTER_RELOAD_MIN_INTERVAL_MS later.
    if (!resetAsked) this.reload.ran();
    try {
      const page = await this.client.http.get<Page>(`/api/tasks?limit=${PAGE_SIZE}&${this.query}`);
      if (mine !== this.generation || this.closed) return;
      this.resetPending = false;
      const rows = page.tasks.map(dashboardTaskFromPublic).reduce(upsertRow, reset ? new Map() : this.getSnapshot().rows);
      this.update({
        rows,
        counts: counted(page.counts),
        loaded: true,
        error: undefined,
        ...(reset ? { nextCursor: page.nextCursor } : {}),
      });
    } catch (err) {
      if (mine !== this.generation || this.closed) return;
      this.resetPending = false;
      this.update({ error: toTaskflowError(err), loaded: true, ...(reset ? { rows: new Map(), nextCursor: null } : {}) });
    }
  }

  /** The row's `counts` are the whole room's; this view counts its own filter (reloaded). */
  private onRow({ counts: _roomCounts, ...row }: ServerEventPayload<'dashboard:task_list_updated'>): void {
    const rows = this.getSnapshot().rows;
    const match = taskMatchesFilter(row, this.filter);
    if (match === false) {
      if (!rows.has(row.taskId)) return;
      const next = new Map(rows);
      next.delete(row.taskId);
      this.update({ rows: next });
    } else if (match === 'unknown' && !rows.has(row.taskId)) {
      // Whether it belongs here only the server can say.
    } else {
      this.update({ rows: upsertRow(rows, row) });
    }
    this.reload.changed();
  }

  async loadMore(): Promise<void> {
    const cursor = this.getSnapshot().nextCursor;
    if (!cursor) return;
    const query = this.query;
    const page = await this.client.http.get<Page>(`/api/tasks?limit=${PAGE_SIZE}&${query}&cursor=${encodeURIComponent(cursor)}`);
    if (query !== this.query || this.closed) return;
    this.update({ rows: page.tasks.map(dashboardTaskFromPublic).reduce(upsertRow, this.getSnapshot().rows), nextCursor: page.nextCursor });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.reload.cancel();
    for (const off of this.cleanup.splice(0)) off();
  }
}
