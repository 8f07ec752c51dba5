import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { masterOfSlot, startRedisCluster, type RedisClusterHandle } from '@taskflow/devstack';
import { eventually } from '@taskflow/testing';
import { startShardedSocketServer, type ShardedSocketServer } from '../testing/sharded-socket-server';
import { ShardedRedisBroadcaster } from './redis.broadcaster';

/**
 * The acknowledgement on Redis Cluster while the master of a room's channel dies: a publish either rejects
 * (within the client's commandTimeout, never hanging) or reaches the room's socket. Publishing resumes on the
 * promoted replica. A real 3 + 3 cluster, the master SIGKILLed.
 */
jest.setTimeout(120_000);

const key = `t-io-${randomBytes(4).toString('hex')}`;
const room = 'task:failover';
const channel = `${key}#/#${room}#`;
let cluster: RedisClusterHandle;
let server: ShardedSocketServer;
let publisherRedis: Cluster;

beforeAll(async () => {
  cluster = await startRedisCluster({ fast: true });
  // The worker's publisher options (runtime.ts): fail rather than queue or re-send.
  publisherRedis = new Cluster(cluster.nodes, {
    enableOfflineQueue: false,
    redisOptions: { password: cluster.password, commandTimeout: 2000, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false },
  });
  await new Promise((r) => publisherRedis.once('ready', r));
  server = await startShardedSocketServer(cluster, key);
  // A replica that has not synced with its master yet is not eligible to replace it: wait for each master's replica.
  for (const master of server.pub.nodes('master')) expect(await master.wait(1, 10_000)).toBe(1);
  await server.clientIn('watcher', [room]);
});

afterAll(async () => {
  await server?.close();
  publisherRedis?.disconnect();
  await cluster?.stop();
});

it('rejects or delivers each publish while the channel’s master fails over, then delivers again', async () => {
  const slot = await publisherRedis.cluster('KEYSLOT', channel);
  const [host, port] = publisherRedis.slots[slot]![0]!.split(':');
  const broadcaster = new ShardedRedisBroadcaster(publisherRedis, key);
  const acknowledged: number[] = [];
  const refused: Array<{ seq: number; ms: number }> = [];
  let seq = 0;
  const publishOne = async () => {
    seq += 1;
    const mine = seq;
    const started = Date.now();
    try {
      await broadcaster.publish([{ room, event: 'task:coding', payload: { taskId: 'failover', seq: mine, status: 'coding' } }]);
      acknowledged.push(mine);
    } catch {
      refused.push({ seq: mine, ms: Date.now() - started });
    }
  };
  await publishOne();
  let failedOver = false;
  const killing = cluster.killMaster({ host: host!, port: Number(port) }).finally(() => (failedOver = true));
  // Bounded: a failover that never completes fails the test (killMaster rejects), never spins past it.
  const deadline = Date.now() + 60_000;
  let duringFailover = 0;
  while (!failedOver && Date.now() < deadline) {
    duringFailover += 1;
    await publishOne();
    await new Promise((r) => setTimeout(r, 50));
  }
  await killing;
  // Pub/sub keeps nothing for a subscriber that is not subscribed: a publish the promoted master acknowledges before
  // the server's subscriber has re-subscribed there reaches no socket (the product's nodes resync their sockets on
  // `subscribersReady` for that). Delivery is owed from the moment the subscription is back.
  await eventually(
    'the room’s subscriber back on the promoted master',
    async () => {
      const owner = await masterOfSlot(cluster.nodes, cluster.password, slot);
      const node = new Redis({ host: '127.0.0.1', port: owner.port, password: cluster.password, lazyConnect: true });
      try {
        const [, count] = (await node.pubsub('SHARDNUMSUB', channel)) as [string, number];
        return count > 0 ? true : undefined;
      } finally {
        node.disconnect();
      }
    },
    30_000,
  );
  const owedAfter = seq;
  // After the promotion the client finds the new master: publishes are acknowledged again.
  const before = acknowledged.length;
  await eventually(
    'a publish acknowledged after the failover',
    async () => {
      await publishOne();
      return acknowledged.length > before + 2 ? true : undefined;
    },
    30_000,
  );
  const seqs = () => server.received('watcher').map((e) => (e.payload as { seq: number }).seq);
  const owed = acknowledged.filter((s) => s === 1 || s > owedAfter);
  expect(owed.length).toBeGreaterThan(3);
  await eventually('every acknowledged publish at the socket', async () => (owed.every((s) => seqs().includes(s)) ? true : undefined));
  // Publishes were made while the master was down. Each was refused or, held by the client until the new master
  // answered, delivered (on a busy machine the failover can outpace the command timeout: then none is refused).
  expect(duringFailover).toBeGreaterThan(0);
  // A refusal comes within the command timeout (2 s), with room for a busy machine; nothing hangs.
  for (const r of refused) expect(r.ms).toBeLessThan(8000);
  // Delivered in the order published, each once.
  expect(seqs()).toEqual([...new Set(seqs())].sort((a, b) => a - b));
});
