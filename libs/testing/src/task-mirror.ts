import type { TaskFeed, TaskFeedTrace } from '@taskflow/client';
import type { ClientMessageAck } from '@taskflow/events';
import type { AckAnswer, TestSocket } from './socket-client';

/**
 * A client's copy of one task, kept by the client library's TaskFeed: the very code browsers run (join on every
 * connect, hold live events until the snapshot, apply by seq, resync a gap one at a time, catch up on
 * `sync:required`, retry what the contract says to retry). The mirror only records what the feed saw
 * (its onTrace hook), for assertions.
 */
export class TaskMirror {
  last = 0;
  status: string | undefined;
  /** The seqs applied, in order (a snapshot's events it did not have, then live and resynced ones): must be 1..N. */
  readonly applied: number[] = [];
  /** Seqs of live `task:event_added` as received (duplicates and gaps included). */
  readonly live: number[] = [];
  gaps = 0;
  snapshots = 0;
  /** `sync:required` events honoured. */
  syncsRequired = 0;
  /** Joins and resyncs sent again after a retryable failure or a missing ack. */
  retries = 0;
  readonly feed: TaskFeed;

  constructor(
    readonly client: TestSocket,
    readonly taskId: string,
  ) {
    this.feed = client.taskflow.task(taskId, { onTrace: (t) => this.record(t) });
    this.feed.subscribe(() => {
      const view = this.feed.getSnapshot().view;
      if (!view) return;
      this.last = view.last;
      this.status = view.task.status;
    });
  }

  private record(t: TaskFeedTrace): void {
    if (t.kind === 'live') this.live.push(t.seq);
    else if (t.kind === 'applied') this.applied.push(t.seq);
    else if (t.kind === 'snapshot') {
      this.snapshots += 1;
      this.applied.push(...t.applied);
    } else if (t.kind === 'gap') this.gaps += 1;
    else if (t.kind === 'sync_required') this.syncsRequired += 1;
    else if (t.kind === 'retry') this.retries += 1;
  }

  /**
   * The answer of the feed's join (it joins by itself when connected, and again on every connect), or of a fresh
   * one when none is under way: a fresh snapshot. A join never answered reads as a TIMEOUT failure.
   */
  async join(): Promise<AckAnswer<ClientMessageAck<'task:join'>>> {
    return (await this.feed.join()) ?? { ok: false, error: { code: 'TIMEOUT', message: 'task:join was not answered' } };
  }

  close(): void {
    this.feed.close();
  }
}
