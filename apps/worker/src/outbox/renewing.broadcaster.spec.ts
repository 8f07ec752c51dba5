import { createLogger } from '@taskflow/platform';
import type { Broadcaster } from './outbox.publisher';
import { RenewingBroadcaster } from './renewing.broadcaster';

/** A client that fails while `broken`, as the publisher's stale cluster client did. */
class FakeClient implements Broadcaster {
  broken = false;
  released = false;
  sent = 0;
  async publish(): Promise<void> {
    if (this.broken) throw new Error('Command timed out');
    this.sent += 1;
  }
}

function setup(brokenFromStart: boolean) {
  let now = 0;
  const clients: FakeClient[] = [];
  const renewing = new RenewingBroadcaster(
    () => {
      const c = new FakeClient();
      c.broken = brokenFromStart && clients.length === 0;
      clients.push(c);
      return { broadcaster: c, release: () => (c.released = true) };
    },
    { renewAfterMs: 10_000, minFailures: 3, logger: createLogger('worker', 'silent'), now: () => now },
  );
  return { renewing, clients, at: (t: number) => (now = t) };
}

const publish = (b: Broadcaster) =>
  b.publish([]).then(
    () => 'ok',
    () => 'failed',
  );

describe('RenewingBroadcaster', () => {
  it('replaces a client whose every publish failed for the whole window, and publishes through the new one', async () => {
    const { renewing, clients, at } = setup(true);
    at(0);
    expect(await publish(renewing)).toBe('failed');
    at(5_000);
    expect(await publish(renewing)).toBe('failed');
    at(9_999);
    expect(await publish(renewing)).toBe('failed');
    expect(clients).toHaveLength(1);
    at(10_000);
    expect(await publish(renewing)).toBe('failed');
    expect(clients).toHaveLength(2);
    expect(clients[0]!.released).toBe(true);
    expect(renewing.renewals).toBe(1);
    expect(await publish(renewing)).toBe('ok');
    expect(clients[1]!.sent).toBe(1);
  });

  it('keeps a client that fails now and then: one success starts the window again', async () => {
    const { renewing, clients, at } = setup(false);
    const client = clients[0]!;
    for (let t = 0; t <= 60_000; t += 4_000) {
      at(t);
      client.broken = (t / 4_000) % 3 !== 0;
      await publish(renewing);
    }
    expect(clients).toHaveLength(1);
    expect(renewing.renewals).toBe(0);
  });

  it('needs several failures, not one slow one, before it gives up on a client', async () => {
    const { renewing, clients, at } = setup(true);
    at(0);
    await publish(renewing);
    at(60_000);
    await publish(renewing);
    expect(clients).toHaveLength(1);
    at(60_001);
    await publish(renewing);
    expect(clients).toHaveLength(2);
  });

  it('releases the client in use when released', () => {
    const { renewing, clients } = setup(false);
    renewing.release();
    expect(clients[0]!.released).toBe(true);
  });
});
