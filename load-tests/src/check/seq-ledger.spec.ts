import { SeqLedger } from './seq-ledger';

describe('SeqLedger', () => {
  it('latest rows: skipped seqs are fine, a repeat is a duplicate, a lower seq is out of order, a missing final is lost', () => {
    const l = new SeqLedger();
    expect(l.deliver('t', 'latest', 1)).toBe('ok');
    expect(l.deliver('t', 'latest', 3)).toBe('ok');
    expect(l.deliver('t', 'latest', 3)).toBe('duplicated');
    expect(l.deliver('t', 'latest', 2)).toBe('outOfOrder');
    expect([l.duplicated, l.outOfOrder]).toEqual([1, 1]);
    expect(l.lost('t', 'latest', 3)).toBe(0);
    expect(l.lost('t', 'latest', 4)).toBe(1);
    expect(l.lost('never-seen', 'latest', 1)).toBe(1);
  });

  it('latest rows: the snapshot covers what it contains', () => {
    const l = new SeqLedger();
    l.snapshot('t', 'latest', 5);
    expect(l.lost('t', 'latest', 5)).toBe(0);
  });

  it('every-event streams: each seq after the snapshot must arrive once', () => {
    const l = new SeqLedger();
    l.snapshot('t|status', 'every', 3);
    expect(l.deliver('t|status', 'every', 4)).toBe('ok');
    expect(l.deliver('t|status', 'every', 6)).toBe('ok');
    expect(l.deliver('t|status', 'every', 5)).toBe('outOfOrder');
    expect(l.deliver('t|status', 'every', 6)).toBe('duplicated');
    expect(l.lost('t|status', 'every', 6)).toBe(0);
    expect(l.lost('t|status', 'every', 8)).toBe(2);
  });
});
