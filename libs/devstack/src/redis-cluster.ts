import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startChild, stopChild } from './child';
import { canListen, freePort, waitFor } from './net';
import { startRedis, type RedisHandle } from './redis';

export interface RedisClusterNode {
  host: string;
  port: number;
}

export interface RedisClusterHandle {
  /** Every node as started (masters and replicas; which is which changes after a failover). */
  nodes: RedisClusterNode[];
  /** Every node's `requirepass` (and `masterauth`). */
  password: string;
  /** `127.0.0.1:<port>,…`: what `REDIS_CLUSTER_NODES` takes. */
  nodeList: string;
  /** The nodes that are masters now, as the cluster itself says (CLUSTER NODES). */
  masters(): Promise<RedisClusterNode[]>;
  /**
   * SIGKILLs a master (the one given, else the first one) and resolves once a replica took over
   * its slots and every remaining node says `cluster_state:ok`. Resolves with the killed node.
   */
  killMaster(which?: RedisClusterNode): Promise<RedisClusterNode>;
  /** Moves `slots` slots (all unless given) of master `from` to master `to`; see {@link reshardRedisCluster}. */
  reshard(from: RedisClusterNode, to: RedisClusterNode, slots?: number): Promise<{ slots: number }>;
  /** The redis-server of each node that runs now, by port: what a fault test signals. */
  processes(): Array<{ port: number; pid: number }>;
  /** Stops every node (its own process group each) and removes the temp dir it created. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** 3 unless given: Redis Cluster needs at least 3 masters. */
  masters?: number;
  /** Replicas per master, 1 unless given. */
  replicasPerMaster?: number;
  /** Where each node keeps its nodes.conf, log and data; a private temp dir (removed on stop) when not given. */
  dataDir?: string;
  password?: string;
  /** How long a master may be unreachable before its replica is promoted; 2000 ms unless given. */
  nodeTimeoutMs?: number;
  /** No AOF (tests). */
  fast?: boolean;
}

const HOST = '127.0.0.1';
/** Redis listens for the cluster bus on port + 10000. */
const BUS_OFFSET = 10_000;

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeNodePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + BUS_OFFSET > 65_535 || taken.has(port) || taken.has(port + BUS_OFFSET)) continue;
    if (await canListen(port + BUS_OFFSET)) return port;
  }
}

/** Runs redis-cli (its own process group) with the password in REDISCLI_AUTH, never on the command line. */
async function redisCli(password: string, args: string[], logFile: string, timeoutMs = 60_000): Promise<void> {
  const log = fs.openSync(logFile, 'a');
  try {
    const child = startChild('redis-cli', 'redis-cli', args, {
      stdio: ['ignore', log, log],
      detached: true,
      env: { ...process.env, REDISCLI_AUTH: password },
    });
    const timer = setTimeout(() => void stopChild(child, 'SIGKILL', 0), timeoutMs);
    const code = await child.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`redis-cli ${args.slice(0, 2).join(' ')} exited with ${code}; see ${logFile}`);
  } finally {
    fs.closeSync(log);
  }
}

async function withNode<T>(node: RedisClusterNode, password: string, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    host: node.host,
    port: node.port,
    password,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

/** One line of CLUSTER NODES. */
export interface RedisClusterNodeView {
  id: string;
  port: number;
  master: boolean;
  failed: boolean;
  /** Whether it serves any slot (a master with slots). */
  slots: boolean;
  /** The slots it serves, as `[first, last]` ranges. */
  ranges: Array<[number, number]>;
}

/** CLUSTER NODES as one node sees it. */
export async function clusterNodes(node: RedisClusterNode, password: string): Promise<RedisClusterNodeView[]> {
  const text = await withNode(node, password, (c) => c.cluster('NODES') as Promise<string>);
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const f = line.split(' ');
      const flags = f[2]!.split(',');
      // Slot fields are `first-last` or `n`; `[n->-id]` / `[n-<-id]` mark a migration in progress.
      const ranges = f
        .slice(8)
        .filter((r) => !r.startsWith('['))
        .map((r): [number, number] => {
          const [first, last] = r.split('-').map(Number) as [number, number?];
          return [first, last ?? first];
        });
      return {
        id: f[0]!,
        port: Number(f[1]!.split('@')[0]!.split(':').pop()),
        master: flags.includes('master'),
        failed: flags.includes('fail') || flags.includes('fail?'),
        slots: ranges.length > 0,
        ranges,
      };
    });
}

async function clusterOk(node: RedisClusterNode, password: string, knownNodes: number): Promise<boolean> {
  const info = await withNode(node, password, (c) => c.cluster('INFO'));
  return (
    info.includes('cluster_state:ok') && info.includes('cluster_slots_assigned:16384') && info.includes(`cluster_known_nodes:${knownNodes}`)
  );
}

/**
 * A real Redis Cluster from Debian's redis-server on loopback ports: `masters` masters with
 * `replicasPerMaster` replicas each (3 + 3 by default), every node with a password, created with
 * `redis-cli --cluster create` and resolved once every node says `cluster_state:ok`.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masterCount = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const password = options.password ?? randomBytes(18).toString('base64url');
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-redis-cluster-'));
  fs.mkdirSync(dataDir, { recursive: true });
  const taken = new Set<number>();
  const handles: RedisHandle[] = [];
  const stop = async () => {
    await Promise.all(handles.map((h) => h.stop()));
    if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const total = masterCount * (1 + replicas);
    const ports: number[] = [];
    for (let i = 0; i < total; i++) {
      const port = await freeNodePort(taken);
      taken.add(port).add(port + BUS_OFFSET);
      ports.push(port);
    }
    const nodeTimeoutMs = options.nodeTimeoutMs ?? 2000;
    await Promise.all(
      ports.map(async (port) => {
        const dir = path.join(dataDir, `node-${port}`);
        fs.mkdirSync(dir, { recursive: true });
        const handle = await startRedis({
          dataDir: dir,
          port,
          logFile: path.join(dir, 'redis.log'),
          password,
          fast: options.fast,
          cluster: { nodeTimeoutMs },
        });
        handles.push(handle);
      }),
    );
    const nodes = ports.map((port) => ({ host: HOST, port }));
    await redisCli(
      password,
      ['--cluster', 'create', ...nodes.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes'],
      path.join(dataDir, 'cluster-create.log'),
    );
    await waitFor('every Redis Cluster node to say cluster_state:ok', async () => {
      const ok = await Promise.all(nodes.map((n) => clusterOk(n, password, total)));
      return ok.every(Boolean) || undefined;
    });
    // And every replica has synced from its master: one that has not cannot take over from it.
    await waitFor('every Redis Cluster replica to be in sync', async () => {
      const infos = await Promise.all(nodes.map((n) => withNode(n, password, (c) => c.info('replication'))));
      const replicas = infos.filter((i) => i.includes('role:slave'));
      return (replicas.length === total - masterCount && replicas.every((i) => i.includes('master_link_status:up'))) || undefined;
    });
    const masters = async () => (await clusterMasters(nodes, password)).map((v) => ({ host: HOST, port: v.port }));
    const handleOf = (port: number) => handles.find((h) => h.port === port);
    return {
      nodes,
      password,
      nodeList: nodes.map((n) => `${n.host}:${n.port}`).join(','),
      masters,
      stop,
      killMaster: async (which) => {
        const victim = which ?? (await masters())[0]!;
        const handle = handleOf(victim.port);
        if (!handle) throw new Error(`no Redis Cluster node on port ${victim.port}`);
        process.kill(handle.pid, 'SIGKILL');
        await waitForTakeover(
          nodes.filter((n) => n.port !== victim.port),
          password,
          victim.port,
        );
        return victim;
      },
      reshard: (from, to, slots) => reshardRedisCluster({ nodes, password, from, to, slots, logFile: path.join(dataDir, 'reshard.log') }),
      processes: () => handles.map((h) => ({ port: h.port, pid: h.pid })),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Resolves once a replica took over the slots of the dead master on `victimPort` and every node in `rest` says `cluster_state:ok`. */
export async function waitForTakeover(rest: RedisClusterNode[], password: string, victimPort: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `a replica to take over from master ${victimPort}`,
    async () => {
      const view = await clusterNodes(rest[0]!, password);
      const dead = view.find((v) => v.port === victimPort);
      if (!dead?.failed || dead.slots) return undefined;
      const ok = await Promise.all(rest.map((n) => withNode(n, password, (c) => c.cluster('INFO'))));
      return ok.every((info) => info.includes('cluster_state:ok')) || undefined;
    },
    timeoutMs,
  );
}

/** The masters serving slots now, as the first node of `nodes` that answers sees them. */
export async function clusterMasters(nodes: RedisClusterNode[], password: string): Promise<RedisClusterNodeView[]> {
  for (const n of nodes) {
    const view = await clusterNodes(n, password).catch(() => undefined);
    if (view) return view.filter((v) => v.master && !v.failed && v.slots);
  }
  throw new Error('no Redis Cluster node answered CLUSTER NODES');
}

/** The master serving `slot` now, as the first node of `nodes` that answers sees it. */
export async function masterOfSlot(nodes: RedisClusterNode[], password: string, slot: number): Promise<RedisClusterNodeView> {
  const owner = (await clusterMasters(nodes, password)).find((v) => v.ranges.some(([a, b]) => slot >= a && slot <= b));
  if (!owner) throw new Error(`no Redis Cluster node says who serves slot ${slot}`);
  return owner;
}

/** Slots a node view serves. */
const slotCount = (v: RedisClusterNodeView | undefined) => (v?.ranges ?? []).reduce((n, [a, b]) => n + b - a + 1, 0);

/**
 * Moves `slots` slots of master `from` (its lowest-numbered first; all of them unless given) to master `to` with
 * `redis-cli --cluster reshard`, as an operator rebalancing a cluster would: slot by slot, each one's keys MIGRATEd
 * while clients keep working (ASK and MOVED redirect them). Resolves once every node that answers agrees on the move
 * and says `cluster_state:ok`, with the number of slots moved.
 */
export async function reshardRedisCluster(opts: {
  nodes: RedisClusterNode[];
  password: string;
  from: RedisClusterNode;
  to: RedisClusterNode;
  slots?: number;
  logFile: string;
  timeoutMs?: number;
}): Promise<{ slots: number }> {
  const { nodes, password, from, to } = opts;
  const view = await clusterNodes(to, password);
  const source = view.find((v) => v.port === from.port);
  const target = view.find((v) => v.port === to.port);
  if (!source?.master || !target?.master) throw new Error(`reshard needs two masters; ${from.port} → ${to.port} are not`);
  const slots = Math.min(opts.slots ?? Infinity, slotCount(source));
  if (slots === 0) return { slots };
  const expected = slotCount(target) + slots;
  await redisCli(
    password,
    [
      '--cluster',
      'reshard',
      `${to.host}:${to.port}`,
      '--cluster-from',
      source.id,
      '--cluster-to',
      target.id,
      '--cluster-slots',
      String(slots),
      '--cluster-yes',
    ],
    opts.logFile,
    opts.timeoutMs ?? 180_000,
  );
  const live = (
    await Promise.all(nodes.map(async (n) => ((await clusterNodes(n, password).catch(() => undefined)) ? n : undefined)))
  ).filter((n): n is RedisClusterNode => Boolean(n));
  await waitFor(`every Redis Cluster node to agree that ${slots} slots moved from ${from.port} to ${to.port}`, async () => {
    const views = await Promise.all(live.map((n) => clusterNodes(n, password)));
    if (!views.every((v) => slotCount(v.find((x) => x.port === to.port)) === expected)) return undefined;
    const infos = await Promise.all(live.map((n) => withNode(n, password, (c) => c.cluster('INFO'))));
    return infos.every((i) => i.includes('cluster_state:ok')) || undefined;
  });
  return { slots };
}
