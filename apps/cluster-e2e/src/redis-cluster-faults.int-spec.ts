import { rooms, SOCKET_IO_REDIS_KEY } from '@taskflow/events';
import { clusterSuite, expectHeld, itStopsCleanly, runFault, until, type FaultOutcome } from './harness';

/**
 * `REDIS_MODE=cluster npm run cluster`: the stack on its private Redis Cluster (3 masters + 3 replicas), with the
 * queues on one hash tag and the Socket.IO broadcasts on sharded pub/sub. A master is SIGKILLed, then slots are moved
 * with `redis-cli --cluster reshard`, each while GitHub deliveries and task creations arrive and clients watch: every
 * client converges to the committed state with no gap and nothing applied twice, no job is parked, no process exits.
 */
// A cluster start (≈ 60 s under load), two faults with their traffic (≈ 40 s each idle): a ceiling for hangs.
jest.setTimeout(420_000);
const suite = clusterSuite('redis-cluster', { env: () => ({ REDIS_MODE: 'cluster' }) });

/** A key in the slot of every queue's keys (BullMQ's prefix is the hash tag `{taskflow}` on a cluster). */
const QUEUE_KEY = '{taskflow}:queues';

async function orgChannel(): Promise<string> {
  const { rows } = await suite.cluster.db().query<{ org_id: string }>("SELECT org_id FROM users WHERE username = 'alice'");
  return `${SOCKET_IO_REDIS_KEY}#/#${rooms.org(rows[0]!.org_id)}#`;
}

function expectNothingParked(o: FaultOutcome): void {
  expect(Object.values(o.numbers.jobsParked as Record<string, number>).every((n) => n === 0)).toBe(true);
}

describe('Redis Cluster faults under traffic', () => {
  it('the queues’ master SIGKILLed: its replica takes over, clients converge, no job is lost or parked', async () => {
    const victim = await suite.cluster.redisMasterOf(QUEUE_KEY);
    let takeoverMs = 0;
    const o = await runFault(suite, {
      name: 'redis-cluster-master-kill',
      fault: async () => {
        ({ takeoverMs } = await suite.cluster.killRedisMaster(victim.port));
      },
      // It is started again once its replica took over, and rejoins as a replica.
      killed: [{ role: 'redis', name: `redis-${victim.port}` }],
      deliveries: 6,
      creations: 6,
      spreadMs: 4000,
      afterFault: async () => ({ takeoverMs }),
    });
    console.log(o.report);
    expectHeld(o);
    expectNothingParked(o);
    // The replica now serves the queues.
    expect((await suite.cluster.redisMasterOf(QUEUE_KEY)).port).not.toBe(victim.port);
  });

  it('the slots of the queues and of the org’s dashboard room resharded: subscriptions follow, clients converge', async () => {
    const channel = await orgChannel();
    const moves: Array<{ key: string; from: number; to: number; slots: number; tookMs: number }> = [];
    const o = await runFault(suite, {
      name: 'redis-cluster-reshard',
      fault: async () => {
        // `redis-cli --cluster reshard` takes the lowest slots of its source: moving a master's slots up to the one
        // a key hashes to moves that key's slot (and those before it), one after the other, while traffic runs.
        // The nodes whose sockets watch the org's dashboard: each holds an SSUBSCRIBE to its channel.
        const subscribers = await suite.cluster.shardSubscribers(channel);
        expect(subscribers).toBeGreaterThan(0);
        for (const key of [channel, QUEUE_KEY]) {
          const owner = await suite.cluster.redisMasterOf(key);
          const slot = Number(await suite.cluster.redis().call('CLUSTER', 'KEYSLOT', key));
          const upTo = owner.ranges.reduce((n, [a, b]) => n + (a > slot ? 0 : Math.min(b, slot) - a + 1), 0);
          const target = (await suite.cluster.redisMasters()).find((m) => m.port !== owner.port)!;
          const moved = await suite.cluster.reshardRedis(owner.port, target.port, upTo);
          moves.push({ key, from: owner.port, to: target.port, ...moved });
          expect((await suite.cluster.redisMasterOf(key)).port).toBe(target.port);
          // Redis ended those subscriptions on the old master; each node subscribes again on the new one by itself (no
          // socket joins a room meanwhile, which would also make ioredis re-subscribe everything).
          if (key === channel)
            await until(
              'the nodes to subscribe to the moved channel again',
              async () => (await suite.cluster.shardSubscribers(channel)) === subscribers,
              10_000,
            );
        }
      },
      deliveries: 6,
      creations: 6,
      spreadMs: 6000,
      afterFault: async () => Object.fromEntries(moves.map((m, i) => [`reshard${i + 1}Ms`, m.tookMs])),
    });
    console.log(o.report, JSON.stringify(moves));
    expectHeld(o);
    expectNothingParked(o);
  });

  itStopsCleanly(suite);
});
