import { applyInOrder, inSeqOrder, seqOutcome, snapshotApplies } from './seq-order';

describe('seq order', () => {
  it('applies only the next seq: older ones are duplicates, later ones a gap', () => {
    expect([3, 4, 5, 6].map((seq) => seqOutcome(4, seq))).toEqual(['duplicate', 'duplicate', 'applied', 'gap']);
  });

  it('moves `last` and builds the next copy only when the event applies, leaving the old copy alone', () => {
    const state = { last: 2, seen: [1, 2] };
    const next = (s: typeof state) => ({ ...s, seen: [...s.seen, 3] });
    const applied = applyInOrder(state, 3, next);
    expect(applied).toEqual({ state: { last: 3, seen: [1, 2, 3] }, outcome: 'applied' });
    expect(state).toEqual({ last: 2, seen: [1, 2] });
    expect(applyInOrder(state, 2, next)).toEqual({ state, outcome: 'duplicate' });
    expect(applyInOrder(state, 5, next).state).toBe(state);
  });

  it('takes a snapshot unless the copy is already past it', () => {
    expect(snapshotApplies(undefined, 0)).toBe(true);
    expect(snapshotApplies(4, 4)).toBe(true);
    expect(snapshotApplies(4, 7)).toBe(true);
    expect(snapshotApplies(5, 4)).toBe(false);
  });

  it('orders held events by seq without touching the buffer', () => {
    const held = [{ seq: 7 }, { seq: 5 }, { seq: 6 }];
    expect(inSeqOrder(held).map((e) => e.seq)).toEqual([5, 6, 7]);
    expect(held.map((e) => e.seq)).toEqual([7, 5, 6]);
  });
});
