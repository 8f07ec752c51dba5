import { EventEmitter } from 'node:events';
import type { Cluster } from 'ioredis';
import { followMigratedSubscriptions } from './sharded-subscriptions';

type Answer = 'ok' | 'refused' | 'unanswered';

/**
 * ioredis's side as the migration leaves it: a `nodeError` for the pushed `sunsubscribe`, then SSUBSCRIBEs that the
 * master they were routed to takes, refuses, or (a MOVED on a subscriber connection) never answers.
 */
class FakeCluster extends EventEmitter {
  status = 'ready';
  refreshes = 0;
  readonly sent: string[] = [];
  constructor(private readonly answers: Record<string, Answer[]>) {
    super();
  }
  refreshSlotsCache(cb: () => void): void {
    this.refreshes += 1;
    setImmediate(cb);
  }
  ssubscribe(channel: string): Promise<number> {
    this.sent.push(channel);
    const answer = this.answers[channel]?.shift() ?? 'ok';
    if (answer === 'ok') return Promise.resolve(1);
    if (answer === 'refused') return Promise.reject(new Error('MOVED 1234 127.0.0.1:7001'));
    return new Promise<number>(() => undefined);
  }
  moved(channel: string): void {
    this.emit(
      'nodeError',
      new Error(`Command queue state error. If you can reproduce this, please report it. Last reply: sunsubscribe,${channel},0`),
    );
  }
}

function follow(answers: Record<string, Answer[]>) {
  const cluster = new FakeCluster(answers);
  const events: string[] = [];
  cluster.on('-subscriber', () => events.push('-subscriber'));
  cluster.on('subscribersReady', () => events.push('subscribersReady'));
  followMigratedSubscriptions(cluster as unknown as Cluster, { timeoutMs: 100, retryEveryMs: 20, maxRounds: 5 });
  return { cluster, events };
}

const until = async (what: string, check: () => boolean, ms = 3000) => {
  for (const deadline = Date.now() + ms; !check(); await new Promise((r) => setTimeout(r, 10)))
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
};

describe('followMigratedSubscriptions', () => {
  it('subscribes a burst of moved channels again together, then announces one catch-up', async () => {
    const { cluster, events } = follow({});
    cluster.moved('room-a');
    cluster.moved('room-b');
    await until('the catch-up', () => events.includes('subscribersReady'));
    expect(cluster.sent.sort()).toEqual(['room-a', 'room-b']);
    expect(events).toEqual(['-subscriber', 'subscribersReady']);
  });

  it('sends again, on a fresh map, a channel whose SSUBSCRIBE was refused or never answered, and announces only then', async () => {
    const { cluster, events } = follow({ 'room-a': ['unanswered', 'refused', 'ok'], 'room-b': ['ok'] });
    cluster.moved('room-a');
    cluster.moved('room-b');
    await until('the catch-up', () => events.includes('subscribersReady'));
    // room-a three times (the third is taken), room-b once: what was taken is not sent again.
    expect(cluster.sent.filter((c) => c === 'room-a')).toHaveLength(3);
    expect(cluster.sent.filter((c) => c === 'room-b')).toHaveLength(1);
    expect(cluster.refreshes).toBe(3);
    // No catch-up announced while a channel was still unsubscribed: a resync then would miss what followed.
    expect(events).toEqual(['-subscriber', 'subscribersReady']);
  });

  it('gives up after its rounds and announces anyway (ioredis resubscribes everything at its next topology change)', async () => {
    const { cluster, events } = follow({ 'room-a': Array<Answer>(10).fill('refused') });
    cluster.moved('room-a');
    await until('the catch-up', () => events.includes('subscribersReady'));
    expect(cluster.sent).toHaveLength(5);
  });

  it('ignores node errors that are not a pushed sunsubscribe', async () => {
    const { cluster, events } = follow({});
    cluster.emit('nodeError', new Error('Connection is closed.'));
    await new Promise((r) => setTimeout(r, 100));
    expect(cluster.sent).toEqual([]);
    expect(events).toEqual([]);
  });
});
