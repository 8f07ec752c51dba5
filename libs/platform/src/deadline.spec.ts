import { DeadlineError, withDeadline } from './deadline';

const never = () => new Promise<never>(() => undefined);

describe('withDeadline', () => {
  it('gives the outcome of work that settles in time', async () => {
    await expect(withDeadline(Promise.resolve(7), 1000)).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error('boom')), 1000)).rejects.toThrow('boom');
  });

  it('rejects with a DeadlineError carrying the message once the time is up', async () => {
    const started = Date.now();
    const err = await withDeadline(never(), 50, 'enqueue timed out').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect((err as Error).message).toBe('enqueue timed out');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    await expect(withDeadline(never(), 10)).rejects.toThrow('timed out after 10 ms');
  });

  it('leaves no timer behind when the work wins', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await withDeadline(Promise.resolve(1), 60_000);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  });

  it('reads an outcome that arrived during an event-loop stall before its late timer fires', async () => {
    let settle!: (v: string) => void;
    const work = new Promise<string>((r) => (settle = r));
    const raced = withDeadline(work, 20);
    // The outcome is due at 30 ms, after the deadline; a stall until 60 ms makes both due in the same turn of the loop.
    setTimeout(() => settle('on time'), 30);
    const until = Date.now() + 60;
    while (Date.now() < until);
    await expect(raced).resolves.toBe('on time');
  });

  it('handles a failure of work that comes after the deadline', async () => {
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      let fail!: (e: Error) => void;
      const work = new Promise<never>((_, reject) => (fail = reject));
      await expect(withDeadline(work, 10)).rejects.toBeInstanceOf(DeadlineError);
      fail(new Error('late failure'));
      await new Promise((r) => setImmediate(r));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});
