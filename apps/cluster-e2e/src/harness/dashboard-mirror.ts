import type { TestSocket } from '@taskflow/testing';

/**
 * A client's dashboard, kept as the web app keeps it: the `dashboard:state`
 * snapshot, then each `dashboard:task_list_updated` row applied when its seq is
 * newer than the row held (a row carries the task's latest seq, so seqs may
 * skip here; an older or equal one is a duplicate and dropped). Re-joins after
 * every reconnect and on `sync:required`.
 */
export class DashboardMirror {
  readonly rows = new Map<string, { seq: number; status: string }>();
  /** Rows received live with a seq not newer than the one held (dropped). */
  stale = 0;
  snapshots = 0;
  /** `sync:required` events honoured. */
  syncsRequired = 0;
  private joining = false;

  constructor(readonly client: TestSocket) {
    const socket = client.socket;
    socket.on('dashboard:state', (p: { tasks: Array<{ taskId: string; seq: number; status: string }> }) => {
      this.snapshots += 1;
      for (const t of p.tasks) this.apply(t.taskId, t.seq, t.status, false);
    });
    socket.on('dashboard:task_list_updated', (t: { taskId: string; seq: number; status: string }) =>
      this.apply(t.taskId, t.seq, t.status, true),
    );
    socket.on('connect', () => void this.join());
    // The node missed broadcasts (its Redis subscription was interrupted): a fresh snapshot, as the web app asks for.
    socket.on('sync:required', () => {
      this.syncsRequired += 1;
      void this.join();
    });
  }

  /** Joins the dashboard room; retried until answered, since the server may be unable to read the list for a while. */
  async join(): Promise<void> {
    if (this.joining) return;
    this.joining = true;
    try {
      for (let attempt = 0; attempt < 60 && this.client.socket.connected; attempt++) {
        const ack = await this.client.request('dashboard:join', {}, 5000).catch(() => undefined);
        if (ack?.ok) return;
        await new Promise((r) => setTimeout(r, 1000));
      }
    } finally {
      this.joining = false;
    }
  }

  private apply(taskId: string, seq: number, status: string, live: boolean): void {
    const held = this.rows.get(taskId);
    if (held && seq <= held.seq) {
      if (live) this.stale += 1;
      return;
    }
    this.rows.set(taskId, { seq, status });
  }
}
