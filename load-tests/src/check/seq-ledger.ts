/**
 * Per-socket bookkeeping of the seqs delivered for each task, checked against the
 * contract (libs/events: every task-scoped payload carries `seq`):
 *
 * - `latest` streams (the dashboard row): each delivery is the task's latest row, so
 *   seqs may skip (a burst folded into one row) but must rise. Same seq again =
 *   duplicated, lower = out of order, final seq never seen = lost.
 * - `every` streams (a task room's status events and `task:event_added`): every seq
 *   after the snapshot must arrive once, in order. Missing = lost.
 *
 * Duplicates and order are judged within one connection. After a reconnect (`reconnected()`), the socket joins again
 * and starts from a new snapshot: a row it had already seen on its old connection may come again (its new node may
 * be behind the old one), which a client drops by seq (as @taskflow/client does). Those are counted apart
 * (`repeatedAcrossReconnect`), and the lost count still takes everything the socket ever saw.
 */
export type StreamKind = 'latest' | 'every';
/** `repeated`: in order on this connection, but already seen on an earlier one of the socket (not timed). */
export type Verdict = 'ok' | 'duplicated' | 'outOfOrder' | 'repeated';

interface Stream {
  kind: StreamKind;
  /** Seq of the snapshot (dashboard:state / task:state) the socket started from. */
  base: number;
  max: number;
  seen: Set<number> | undefined;
  /** The highest seq, and every seq (`every`), seen on the socket's earlier connections. */
  maxBefore: number;
  seenBefore: Set<number> | undefined;
}

export class SeqLedger {
  private readonly streams = new Map<string, Stream>();
  duplicated = 0;
  outOfOrder = 0;
  repeatedAcrossReconnect = 0;

  private stream(key: string, kind: StreamKind): Stream {
    let s = this.streams.get(key);
    if (!s) {
      s = { kind, base: 0, max: 0, seen: kind === 'every' ? new Set() : undefined, maxBefore: 0, seenBefore: undefined };
      this.streams.set(key, s);
    }
    return s;
  }

  /** The snapshot's seq: live deliveries up to it are the documented overlap, not duplicates. */
  snapshot(key: string, kind: StreamKind, seq: number): void {
    const s = this.stream(key, kind);
    s.base = Math.max(s.base, seq);
  }

  /** The socket connected again (a new connection, a new snapshot to follow): judge order afresh from here. */
  reconnected(): void {
    for (const s of this.streams.values()) {
      // `base` stays: what an earlier snapshot covered is still covered.
      s.maxBefore = Math.max(s.maxBefore, s.max);
      s.max = 0;
      if (s.seen) {
        s.seenBefore = new Set([...(s.seenBefore ?? []), ...s.seen]);
        s.seen = new Set();
      }
    }
  }

  deliver(key: string, kind: StreamKind, seq: number): Verdict {
    const s = this.stream(key, kind);
    const repeated = s.seenBefore ? s.seenBefore.has(seq) : seq <= s.maxBefore;
    let verdict: Verdict = 'ok';
    if (s.seen) {
      if (s.seen.has(seq)) verdict = 'duplicated';
      else if (seq < s.max) verdict = 'outOfOrder';
      s.seen.add(seq);
    } else if (seq === s.max) verdict = 'duplicated';
    else if (seq < s.max) verdict = 'outOfOrder';
    if (verdict === 'ok' && repeated) {
      verdict = 'repeated';
      this.repeatedAcrossReconnect += 1;
    }
    if (verdict === 'duplicated') this.duplicated += 1;
    if (verdict === 'outOfOrder') this.outOfOrder += 1;
    if (seq > s.max) s.max = seq;
    return verdict;
  }

  /** Where a stream stands (for a lost pair's sample): the snapshot's seq, the highest live seq now and before. */
  position(key: string): { base: number; max: number; maxBefore: number } | undefined {
    const s = this.streams.get(key);
    return s && { base: s.base, max: s.max, maxBefore: s.maxBefore };
  }

  /** Deliveries missing for a stream whose task ended at `finalSeq`. */
  lost(key: string, kind: StreamKind, finalSeq: number): number {
    const s = this.streams.get(key);
    const base = s?.base ?? 0;
    if (kind === 'latest') return Math.max(s?.max ?? 0, base, s?.maxBefore ?? 0) >= finalSeq ? 0 : 1;
    let missing = 0;
    for (let seq = base + 1; seq <= finalSeq; seq++) if (!s?.seen?.has(seq) && !s?.seenBefore?.has(seq)) missing += 1;
    return missing;
  }
}
