import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { pingRedis } from './redis';
import { startRedisCluster, type RedisClusterHandle } from './redis-cluster';

/**
 * The shared Redis Cluster test helper: 3 masters + 3 replicas from redis-server, with a
 * password, usable by an ioredis Cluster client, a master killed is replaced by its replica,
 * and stop() leaves no redis-server behind.
 */
jest.setTimeout(120_000);

let dataDir: string;
let cluster: RedisClusterHandle;
let client: Cluster | undefined;

/** redis-server processes serving one of the cluster's ports (redis sets its title to `redis-server <host>:<port> [cluster]`). */
function clusterServers(): number[] {
  const titles = new Set(cluster.nodes.map((n) => `redis-server 127.0.0.1:${n.port} `));
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if ([...titles].some((t) => cmd.startsWith(t))) found.push(Number(name));
    } catch {
      // It exited meanwhile.
    }
  }
  return found;
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-cluster-helper-'));
  cluster = await startRedisCluster({ dataDir, fast: true });
});

afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it('starts 3 masters and 3 replicas, every one with a password and cluster_state:ok', async () => {
  expect(cluster.nodes).toHaveLength(6);
  expect(cluster.nodeList.split(',')).toEqual(cluster.nodes.map((n) => `127.0.0.1:${n.port}`));
  expect(await cluster.masters()).toHaveLength(3);
  for (const node of cluster.nodes) {
    expect(await pingRedis(node.port)).toBe(false); // NOAUTH without the password
    const c = new Redis({ port: node.port, password: cluster.password, lazyConnect: true });
    await c.connect();
    expect(await c.cluster('INFO')).toContain('cluster_state:ok');
    c.disconnect();
  }
  expect(clusterServers()).toHaveLength(6);
});

it('serves keys in every slot range to an ioredis Cluster client, also after a master is killed', async () => {
  client = new Cluster(cluster.nodes, { redisOptions: { password: cluster.password } });
  // Keys spread over the three masters' slot ranges.
  const keys = Array.from({ length: 30 }, (_, i) => `helper:key:${i}`);
  for (const k of keys) await client.set(k, `v-${k}`);
  for (const k of keys) expect(await client.get(k)).toBe(`v-${k}`);
  // WAIT on the connections that wrote: every master's replica has the keys before one is killed.
  for (const master of client.nodes('master')) expect(await master.wait(1, 10_000)).toBe(1);
  const killed = await cluster.killMaster();
  const masters = await cluster.masters();
  expect(masters).toHaveLength(3);
  expect(masters.map((m) => m.port)).not.toContain(killed.port);
  // The replica took over with the data it had replicated (WAIT above).
  for (const k of keys) expect(await client.get(k)).toBe(`v-${k}`);
});

it('stop() leaves no redis-server running', async () => {
  client?.disconnect();
  client = undefined;
  await cluster.stop();
  expect(clusterServers()).toEqual([]);
  for (const node of cluster.nodes) expect(await pingRedis(node.port, cluster.password)).toBe(false);
});
