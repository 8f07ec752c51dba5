import { Histogram, type Percentiles } from '../stats/histogram';

type Row = { taskId?: unknown; prUrl?: unknown };

/**
 * Webhook → screen: for each (socket, task), when the first dashboard row carrying the task's
 * `prUrl` arrived, against when the harness sent the signed PR-opened webhook. Both times are on
 * this machine's wall clock (`nowMs`), so they are comparable.
 */
export class PrArrivals {
  /** `${socket}|${taskId}` → receipt time of the first row with a non-null prUrl. */
  private readonly first = new Map<string, number>();

  /** One event as socket `socket` received it; rows inside a `dashboard:batch` count one by one. */
  onEvent(socket: number, name: string, payload: unknown, at: number): void {
    if (name === 'dashboard:batch') {
      for (const item of (payload as { items?: Array<{ event: string; payload: unknown }> } | undefined)?.items ?? [])
        this.onEvent(socket, item.event, item.payload, at);
      return;
    }
    // Live row updates only: a join's snapshot (dashboard:state) is not a delivery.
    if (name !== 'dashboard:task_list_updated') return;
    const row = payload as Row | undefined;
    if (typeof row?.taskId !== 'string' || typeof row.prUrl !== 'string' || !row.prUrl) return;
    const key = `${socket}|${row.taskId}`;
    if (!this.first.has(key)) this.first.set(key, at);
  }

  /** Pairs seen so far. */
  get size(): number {
    return this.first.size;
  }

  /** Latency percentiles over every (socket, task) pair whose task's webhook send time is known. */
  webhookToScreen(sentAt: ReadonlyMap<string, number>): Percentiles {
    const h = new Histogram();
    for (const [key, at] of this.first) {
      const sent = sentAt.get(key.slice(key.indexOf('|') + 1));
      if (sent !== undefined) h.record(at - sent);
    }
    return h.percentiles();
  }
}
