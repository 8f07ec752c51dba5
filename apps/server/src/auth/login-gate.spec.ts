import { ClientGone, LoginGate, type LoginTicket } from './login-gate';

function admit(gate: LoginGate, address: string): LoginTicket {
  const ticket = gate.enter(address);
  if ('refused' in ticket) throw new Error(`refused: ${ticket.refused}`);
  return ticket;
}

/** Whether the promise has settled by the time the microtask queue is drained. */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('LoginGate', () => {
  it('runs `concurrency` checks, queues `queue` more in order, and refuses the next with a Retry-After', async () => {
    const gate = new LoginGate({ concurrency: 2, queue: 2, perAddress: 10 });
    const tickets = ['a', 'b', 'c', 'd'].map((address) => admit(gate, address));
    const turns = tickets.map((t) => t.turn());
    expect(await Promise.all(turns.map(settled))).toEqual([true, true, false, false]);
    expect(gate.load).toEqual({ admitted: 4, running: 2, waiting: 2, addresses: 4 });

    const refused = gate.enter('e');
    expect(refused).toEqual({ refused: 'node', retryAfterSeconds: expect.any(Number) });
    expect((refused as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);

    // The first to finish hands its slot to the first in line, not the second.
    tickets[1]!.release();
    expect(await settled(turns[2]!)).toBe(true);
    expect(await settled(turns[3]!)).toBe(false);
    expect(gate.load).toEqual({ admitted: 3, running: 2, waiting: 1, addresses: 3 });
    expect('refused' in gate.enter('e')).toBe(false);
  });

  it('refuses an address its own excess, while others still get in', () => {
    const gate = new LoginGate({ concurrency: 1, queue: 10, perAddress: 2 });
    admit(gate, '192.0.2.1');
    const second = admit(gate, '192.0.2.1');
    expect(gate.enter('192.0.2.1')).toEqual({ refused: 'address' });
    expect('refused' in gate.enter('192.0.2.2')).toBe(false);
    second.release();
    expect('refused' in gate.enter('192.0.2.1')).toBe(false);
  });

  it('frees the admission of a check that never ran, once, and forgets idle addresses', async () => {
    const gate = new LoginGate({ concurrency: 1, queue: 0, perAddress: 1 });
    const never = admit(gate, 'a');
    expect(gate.enter('b')).toMatchObject({ refused: 'node' });
    never.release();
    never.release();
    expect(gate.load).toEqual({ admitted: 0, running: 0, waiting: 0, addresses: 0 });
    const ran = admit(gate, 'b');
    await ran.turn();
    ran.release();
    expect(gate.load).toEqual({ admitted: 0, running: 0, waiting: 0, addresses: 0 });
  });

  it('gives up the place of a client that left before its check, but not the slot of a running check', async () => {
    const gate = new LoginGate({ concurrency: 1, queue: 2, perAddress: 10 });
    const [running, queued, notYet] = ['a', 'b', 'c'].map((address) => admit(gate, address));
    await running!.turn();
    const queuedTurn = queued!.turn();

    queued!.abandon();
    await expect(queuedTurn).rejects.toBeInstanceOf(ClientGone);
    notYet!.abandon();
    await expect(notYet!.turn()).rejects.toBeInstanceOf(ClientGone);
    running!.abandon();
    expect(gate.load).toEqual({ admitted: 1, running: 1, waiting: 0, addresses: 1 });

    // The running check still holds its slot until it ends.
    const next = admit(gate, 'd');
    const nextTurn = next.turn();
    expect(await settled(nextTurn)).toBe(false);
    running!.release();
    expect(await settled(nextTurn)).toBe(true);
    queued!.release();
    next.release();
    expect(gate.load).toEqual({ admitted: 0, running: 0, waiting: 0, addresses: 0 });
  });
});
