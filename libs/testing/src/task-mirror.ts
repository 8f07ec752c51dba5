import {
  ackRetryDelayMs,
  inSeqOrder,
  seqOutcome,
  shouldRetryAck,
  snapshotApplies,
  type ClientMessageAck,
  type ServerEventPayload,
} from '@taskflow/events';
import type { AckAnswer, TestSocket } from './socket-client';

/**
 * A client's copy of one task, kept the way browsers keep it (docs/architecture.md#the-event-log-and-seq):
 * apply seq = last + 1, drop seq <= last, resync on a gap, and re-join (fresh
 * snapshot) after every reconnect, resync when the server says `sync:required`; a re-join or resync
 * that fails with a retryable code (UNAVAILABLE, RATE_LIMITED; INTERNAL and no ack only a few times, the
 * contract's shouldRetryAck) is sent again with the contract's backoff while connected. Records what it saw for assertions.
 */
export class TaskMirror {
  last = 0;
  status: string | undefined;
  /** The seqs applied, in order: must be 1..N with nothing missing or repeated. */
  readonly applied: number[] = [];
  /** Seqs of live `task:event_added` as received (duplicates and gaps included). */
  readonly live: number[] = [];
  gaps = 0;
  snapshots = 0;
  /** `sync:required` events honoured. */
  syncsRequired = 0;
  /** Re-joins and resyncs sent again after a retryable failure or a missing ack. */
  retries = 0;
  /** Live events that arrive between joining the room and the snapshot: applied after it, by seq. */
  private pending: Array<{ seq: number; status: string | undefined }> | undefined;
  private resyncing = false;
  private gapWhileResyncing = false;

  constructor(
    readonly client: TestSocket,
    readonly taskId: string,
  ) {
    const socket = client.socket;
    socket.on('task:state', (p) => p.taskId === taskId && this.applySnapshot(p));
    socket.on('task:event_added', (p) => {
      if (p.taskId !== taskId) return;
      this.live.push(p.seq);
      if (this.pending) this.pending.push({ seq: p.seq, status: statusOf(p.event.payload) });
      else this.applyEvent(p.seq, statusOf(p.event.payload));
    });
    // After a reconnect the rooms are gone: join again, which answers a fresh snapshot.
    socket.on('connect', () => void this.retrying(() => this.join()).catch(() => undefined));
    // The node missed broadcasts (its Redis subscription was interrupted): fetch what came after `last`.
    socket.on('sync:required', () => {
      this.syncsRequired += 1;
      void this.retrying(() => this.resync()).catch(() => undefined);
    });
  }

  /** Joins the room; the server joins first and snapshots after, so live events may precede the snapshot. */
  async join(): Promise<AckAnswer<ClientMessageAck<'task:join'>>> {
    this.pending = [];
    const ack = await this.client.request('task:join', { taskId: this.taskId });
    if (!ack.ok) this.pending = undefined;
    return ack;
  }

  private applySnapshot(p: ServerEventPayload<'task:state'>) {
    this.snapshots += 1;
    if (snapshotApplies(this.last, p.seq)) {
      for (const e of p.events) if (e.seq > this.last) this.applied.push(e.seq);
      this.last = p.seq;
      this.status = p.task.status;
    }
    const buffered = this.pending ?? [];
    this.pending = undefined;
    for (const e of inSeqOrder(buffered)) this.applyEvent(e.seq, e.status);
  }

  private applyEvent(seq: number, status: string | undefined) {
    // The same rule as the browsers' (the contract's seqOutcome).
    const outcome = seqOutcome(this.last, seq);
    if (outcome === 'duplicate') return;
    if (outcome === 'gap') {
      this.gaps += 1;
      this.resyncAfterGap();
      return;
    }
    this.applied.push(seq);
    this.last = seq;
    if (status) this.status = status;
  }

  private async resync() {
    // `reply: 'ack'`: the results are applied from the ack; the server need not send the snapshots again as events.
    const ack = await this.client.request('resync_requested', {
      taskIds: [this.taskId],
      since: { [this.taskId]: this.last },
      reply: 'ack',
    });
    const result = ack.ok ? ack.data?.results[0] : undefined;
    if (result?.kind === 'events') for (const e of result.events) this.applyEvent(e.seq, statusOf(e.payload));
    if (result?.kind === 'state') this.applySnapshot(result.state);
    return ack;
  }

  /** One resync at a time, retried until answered; a gap seen meanwhile (an event it may not cover) asks once more after it. */
  private resyncAfterGap() {
    if (this.resyncing) {
      this.gapWhileResyncing = true;
      return;
    }
    this.resyncing = true;
    this.gapWhileResyncing = false;
    void this.retrying(() => this.resync())
      .catch(() => undefined)
      .finally(() => {
        this.resyncing = false;
        if (this.gapWhileResyncing) this.resyncAfterGap();
      });
  }

  /**
   * Retries `send` while it fails retryably (INTERNAL or a timeout at most MAX_UNEXPLAINED_ACK_ATTEMPTS times) and
   * the socket stays connected; a new connect starts its own.
   */
  private async retrying<T>(send: () => Promise<{ ok: boolean; error?: { code: string } } & T>): Promise<void> {
    const connection = this.client.connects.length;
    for (let attempt = 1; attempt <= 30; attempt++) {
      const ack = await send().catch(() => undefined);
      if (ack?.ok || !shouldRetryAck(ack?.error, attempt)) return;
      if (!this.client.socket.connected || this.client.connects.length !== connection) return;
      this.retries += 1;
      await new Promise((r) => setTimeout(r, ackRetryDelayMs(attempt)));
    }
  }
}

/** A timeline event's payload is a record (the contract's schema); the status, when it carries one, is a string. */
function statusOf(payload: Record<string, unknown>): string | undefined {
  return typeof payload.status === 'string' ? payload.status : undefined;
}
