/**
 * How every client keeps its copy of a task (docs/architecture.md#the-event-log-and-seq): a snapshot at seq N,
 * then live events applied strictly in order. The web app and the test client both apply events through
 * these, so the rule is written once.
 */

/** `seq <= last`: already applied (ignore); `seq > last + 1`: events are missing (resync); else apply. */
export type SeqOutcome = 'applied' | 'duplicate' | 'gap';

export function seqOutcome(last: number, seq: number): SeqOutcome {
  if (seq <= last) return 'duplicate';
  if (seq > last + 1) return 'gap';
  return 'applied';
}

/**
 * Applies the event at `seq` to a copy kept at `state.last` when it is the next one; otherwise returns the
 * same state and why not. Pure: `next` builds the new copy, `last` moves to `seq`.
 */
export function applyInOrder<S extends { last: number }>(state: S, seq: number, next: (state: S) => S): { state: S; outcome: SeqOutcome } {
  const outcome = seqOutcome(state.last, seq);
  return { state: outcome === 'applied' ? { ...next(state), last: seq } : state, outcome };
}

/** A snapshot at `seq` replaces the copy unless the copy is already past it (live events overtook the snapshot). */
export function snapshotApplies(last: number | undefined, seq: number): boolean {
  return last === undefined || seq >= last;
}

/** Live events held while the snapshot was on its way, in the order to apply them after it. */
export function inSeqOrder<E extends { seq: number }>(held: readonly E[]): E[] {
  return [...held].sort((a, b) => a.seq - b.seq);
}
