import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startChild, stopChild } from './child';
import { freePort, waitFor } from './net';
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

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (port + 10000) is free too. */
async function freeNodePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + BUS_OFFSET > 65_535 || taken.has(port) || taken.has(port + BUS_OFFSET)) continue;
    if (await canListen(port + BUS_OFFSET)) return port;
  }
}

/** Runs redis-cli (its own process group) with the password in REDISCLI_AUTH, never on the command line. */
async function redisCli(password: string, args: string[], logFile: string): Promise<void> {
  const log = fs.openSync(logFile, 'a');
  try {
    const child = startChild('redis-cli', 'redis-cli', args, {
      stdio: ['ignore', log, log],
      detached: true,
      env: { ...process.env, REDISCLI_AUTH: password },
    });
    const timer = setTimeout(() => void stopChild(child, 'SIGKILL', 0), 60_000);
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

interface NodeView {
  port: number;
  master: boolean;
  failed: boolean;
  slots: boolean;
}

/** CLUSTER NODES as one node sees it. */
async function clusterNodes(node: RedisClusterNode, password: string): Promise<NodeView[]> {
  const text = await withNode(node, password, (c) => c.cluster('NODES') as Promise<string>);
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const f = line.split(' ');
      const flags = f[2]!.split(',');
      return {
        port: Number(f[1]!.split('@')[0]!.split(':').pop()),
        master: flags.includes('master'),
        failed: flags.includes('fail') || flags.includes('fail?'),
        slots: f.length > 8,
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
    const masters = async () => {
      for (const n of nodes) {
        const view = await clusterNodes(n, password).catch(() => undefined);
        if (view) return view.filter((v) => v.master && !v.failed && v.slots).map((v) => ({ host: HOST, port: v.port }));
      }
      throw new Error('no Redis Cluster node answered CLUSTER NODES');
    };
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
        const rest = nodes.filter((n) => n.port !== victim.port);
        await waitFor(`a replica to take over from master ${victim.port}`, async () => {
          const view = await clusterNodes(rest[0]!, password);
          const dead = view.find((v) => v.port === victim.port);
          if (!dead?.failed || dead.slots) return undefined;
          const ok = await Promise.all(rest.map((n) => withNode(n, password, (c) => c.cluster('INFO'))));
          return ok.every((info) => info.includes('cluster_state:ok')) || undefined;
        });
        return victim;
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
