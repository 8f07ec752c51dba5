import { FanoutQueue } from './fanout-queue';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

/** Writes recorded per turn of the event loop: `turns[i]` holds what turn i wrote. */
function recorder() {
  const turns: string[][] = [[]];
  return {
    turns,
    write: (label: string) => (target: number) => turns[turns.length - 1]!.push(`${label}${target}`),
    // The queue's turn was scheduled before this one, so it runs first and records into the new entry.
    async advance() {
      turns.push([]);
      await nextTurn();
    },
  };
}

it('writes at most `chunk` targets per turn, broadcasts strictly in arrival order', async () => {
  const q = new FanoutQueue<number>(3, (err) => {
    throw err;
  });
  const r = recorder();
  q.push(range(0, 5), r.write('a'));
  q.push(range(0, 2), r.write('b'));
  expect(r.turns[0]).toEqual(['a0', 'a1', 'a2']);
  expect(q.pending).toBe(4);
  await r.advance();
  expect(r.turns[1]).toEqual(['a3', 'a4', 'b0']);
  // A small broadcast arriving while others are queued waits behind them (FIFO), not on the fast path.
  expect(q.fits(1)).toBe(false);
  q.push([9], r.write('c'));
  await r.advance();
  expect(r.turns[2]).toEqual(['b1', 'c9']);
  expect(q.pending).toBe(0);
});

it('lets a broadcast that fits this turn be written at once, and resets the budget the next turn', async () => {
  const q = new FanoutQueue<number>(4, () => undefined);
  expect(q.fits(4)).toBe(true);
  q.spent(3);
  expect(q.fits(1)).toBe(true);
  expect(q.fits(2)).toBe(false);
  await nextTurn();
  expect(q.fits(4)).toBe(true);
});

it('queues a broadcast made from inside a write behind the one being written', async () => {
  const q = new FanoutQueue<number>(10, () => undefined);
  const written: string[] = [];
  let fitsMeanwhile: boolean | undefined;
  q.push([1, 2, 3], (t) => {
    written.push(`a${t}`);
    if (t !== 1) return;
    // Budget is left in this turn, but a fast-path write now would overtake a2 and a3.
    fitsMeanwhile = q.fits(1);
    q.push([7], (u) => written.push(`b${u}`));
  });
  expect(fitsMeanwhile).toBe(false);
  await nextTurn();
  expect(written).toEqual(['a1', 'a2', 'a3', 'b7']);
});

it('flushes everything queued, in order, when asked (before an operation that must not overtake it)', () => {
  const q = new FanoutQueue<number>(2, () => undefined);
  const written: string[] = [];
  q.push(range(0, 4), (t) => written.push(`a${t}`));
  q.push(range(0, 3), (t) => written.push(`b${t}`));
  expect(written).toEqual(['a0', 'a1']);
  q.flush();
  expect(written).toEqual(['a0', 'a1', 'a2', 'a3', 'b0', 'b1', 'b2']);
  expect(q.pending).toBe(0);
});

it('reports a write that throws and still writes every other target', async () => {
  const errors: unknown[] = [];
  const q = new FanoutQueue<number>(2, (err) => errors.push(err));
  const written: number[] = [];
  q.push(range(0, 5), (t) => {
    if (t === 1) throw new Error('socket gone');
    written.push(t);
  });
  for (let i = 0; i < 3; i++) await nextTurn();
  expect(written).toEqual([0, 2, 3, 4]);
  expect(errors).toEqual([new Error('socket gone')]);
});

it('refuses a chunk that is not a positive integer', () => {
  expect(() => new FanoutQueue(0, () => undefined)).toThrow(RangeError);
  expect(() => new FanoutQueue(2.5, () => undefined)).toThrow(RangeError);
});
