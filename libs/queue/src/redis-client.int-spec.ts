import { startRedisCluster, type RedisClusterHandle } from '@taskflow/devstack';
import { redisSettings } from '@taskflow/platform';
import { testEnv } from '@taskflow/testing';
import { Cluster, Redis } from 'ioredis';
import { createRedisClient, redisMasters, type RedisClient } from './redis-client';

/** The Redis connection factory on a single Redis and on a real Redis Cluster (3 masters + 3 replicas). */
jest.setTimeout(60_000);

let cluster: RedisClusterHandle;
const clients: RedisClient[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ fast: true });
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await cluster?.stop();
});

it('connects to the one Redis of REDIS_URL in single mode', async () => {
  const client = createRedisClient(redisSettings({ REDIS_URL: testEnv('TEST_REDIS_URL'), REDIS_MODE: 'single' }));
  clients.push(client);
  expect(client).toBeInstanceOf(Redis);
  expect(await client.ping()).toBe('PONG');
  expect(redisMasters(client)).toEqual([client]);
});

it("connects to a cluster from REDIS_CLUSTER_NODES with REDIS_URL's password, and lists its masters", async () => {
  const settings = redisSettings({
    REDIS_URL: `redis://:${encodeURIComponent(cluster.password)}@ignored.invalid:1`,
    REDIS_MODE: 'cluster',
    REDIS_CLUSTER_NODES: cluster.nodes
      .slice(0, 2)
      .map((n) => `${n.host}:${n.port}`)
      .join(','),
  });
  const client = createRedisClient(settings, { maxRetriesPerRequest: 1 });
  clients.push(client);
  expect(client).toBeInstanceOf(Cluster);
  // Keys on every master (the seeds were two nodes; the others are discovered).
  for (let i = 0; i < 20; i++) await client.set(`factory:${i}`, String(i));
  for (let i = 0; i < 20; i++) expect(await client.get(`factory:${i}`)).toBe(String(i));
  const masters = redisMasters(client)
    .map((m) => m.options.port)
    .sort();
  expect(masters).toEqual((await cluster.masters()).map((m) => m.port).sort());
});

it('gives a sharded subscriber that receives SPUBLISH messages only when asked for one', async () => {
  const settings = redisSettings({
    REDIS_URL: `redis://:${encodeURIComponent(cluster.password)}@127.0.0.1:1`,
    REDIS_MODE: 'cluster',
    REDIS_CLUSTER_NODES: cluster.nodeList,
  });
  const sub = createRedisClient(settings, {}, { shardedSubscriber: true }) as Cluster;
  const pub = createRedisClient(settings);
  clients.push(sub, pub);
  const got: string[] = [];
  sub.on('smessage', (channel: string, message: string) => got.push(`${channel}=${message}`));
  const channels = ['a', 'b', 'c', 'd', 'e'].map((c) => `factory-channel-${c}`);
  for (const channel of channels) await sub.ssubscribe(channel);
  for (const channel of channels) await pub.spublish(channel, 'hi');
  const deadline = Date.now() + 10_000;
  while (got.length < channels.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(got.sort()).toEqual(channels.map((c) => `${c}=hi`));
  expect((pub as Cluster).options.shardedSubscribers).toBe(false);
});
