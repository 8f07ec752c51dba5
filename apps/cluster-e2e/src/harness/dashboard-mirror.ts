import type { DashboardFeed, DashboardFeedTrace } from '@taskflow/client';
import type { ClientMessageAck, DashboardTask } from '@taskflow/events';
import type { AckAnswer, TestSocket } from '@taskflow/testing';

/**
 * A client's dashboard, kept by the client library's DashboardFeed, as the web app keeps it: the
 * `dashboard:state` snapshot, then each `dashboard:task_list_updated` row applied when its seq is newer than the
 * row held (a row carries the task's latest seq, so seqs may skip here; an older or equal one is dropped),
 * re-joined after every reconnect and on `sync:required`. The mirror records what the feed saw.
 */
export class DashboardMirror {
  /** Live rows with a seq not newer than the one held (dropped). */
  stale = 0;
  snapshots = 0;
  /** `sync:required` events honoured. */
  syncsRequired = 0;
  readonly feed: DashboardFeed;

  constructor(readonly client: TestSocket) {
    this.feed = client.taskflow.dashboard({ onTrace: (t) => this.record(t) });
  }

  get rows(): ReadonlyMap<string, DashboardTask> {
    return this.feed.getSnapshot().rows;
  }

  private record(t: DashboardFeedTrace): void {
    if (t.kind === 'snapshot') this.snapshots += 1;
    else if (t.kind === 'duplicate') this.stale += 1;
    else if (t.kind === 'sync_required') this.syncsRequired += 1;
  }

  /** The answer of the room's join under way (retried until answered), or of a fresh one. */
  async join(): Promise<AckAnswer<ClientMessageAck<'dashboard:join'>>> {
    return (await this.feed.join()) ?? { ok: false, error: { code: 'TIMEOUT', message: 'dashboard:join was not answered' } };
  }
}
