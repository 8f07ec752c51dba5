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

  it('after a reconnect: a row seen on the old connection is repeated, not duplicated; order is judged afresh', () => {
    const l = new SeqLedger();
    expect(l.deliver('t', 'latest', 5)).toBe('ok');
    l.reconnected();
    // The new node was behind the old one: an older snapshot, then rows the socket had already seen.
    l.snapshot('t', 'latest', 3);
    expect(l.deliver('t', 'latest', 4)).toBe('repeated');
    expect(l.deliver('t', 'latest', 5)).toBe('repeated');
    expect(l.deliver('t', 'latest', 6)).toBe('ok');
    // On the new connection itself, a repeat is still a duplicate and a lower seq out of order.
    expect(l.deliver('t', 'latest', 6)).toBe('duplicated');
    expect(l.deliver('t', 'latest', 4)).toBe('outOfOrder');
    expect([l.repeatedAcrossReconnect, l.duplicated, l.outOfOrder]).toEqual([2, 1, 1]);
    expect(l.lost('t', 'latest', 6)).toBe(0);
    expect(l.lost('t', 'latest', 7)).toBe(1);
  });

  it('after a reconnect, every-event streams: what either connection saw, or the new snapshot covers, is not lost', () => {
    const l = new SeqLedger();
    l.snapshot('t|event', 'every', 1);
    expect(l.deliver('t|event', 'every', 2)).toBe('ok');
    l.reconnected();
    l.snapshot('t|event', 'every', 3);
    expect(l.deliver('t|event', 'every', 2)).toBe('repeated');
    expect(l.deliver('t|event', 'every', 4)).toBe('ok');
    expect(l.lost('t|event', 'every', 4)).toBe(0);
    expect(l.lost('t|event', 'every', 6)).toBe(2);
  });

  it('a socket that came back but never got a new snapshot counts what it missed', () => {
    const l = new SeqLedger();
    l.snapshot('t|event', 'every', 1);
    l.deliver('t|event', 'every', 2);
    l.reconnected();
    l.deliver('t|event', 'every', 5);
    expect(l.lost('t|event', 'every', 5)).toBe(2);
  });
});
