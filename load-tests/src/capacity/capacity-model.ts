/**
 * The capacity model: unit costs derived from the harness's JSON summaries, and the servers, HAProxy
 * instances, Redis shards and PostgreSQL size they imply for N dashboard sockets at a stated event rate.
 * Pure functions; `capacity-costs.ts` derives the costs, `capacity-cli.ts` reads the files and prints
 * `capacity-report.ts`'s Markdown.
 */
import type { UnitCosts } from './capacity-costs';

/** The load to size for. Each is an assumption, stated in the report. */
export interface Workload {
  /** Dashboard sockets (tabs, devices) per signed-in user. */
  socketsPerUser: number;
  /** Tasks started per second per 1,000 users. */
  tasksPerSecPer1kUsers: number;
  /** Sockets watching one org's dashboard: every row of the org's tasks goes to each of them. */
  socketsPerOrg: number;
  /** Committed status transitions per task (the harness drives received → analyzing → … → merged: 6). */
  transitionsPerTask: number;
  /** PostgreSQL transactions per transition: the commit, then the publisher's outbox mark (from the design; not measured). */
  pgTransactionsPerTransition: number;
}

/** What one machine of each kind may carry before another is added. Each is an assumption, stated in the report. */
export interface Limits {
  /** Cores one server node process can use: its JavaScript runs on one event loop. */
  nodeCores: number;
  nodeMemoryMB: number;
  /** Open descriptors per node process; each socket holds one. */
  nodeFdLimit: number;
  /** Cores of one HAProxy instance (nbthread). */
  lbCores: number;
  /** Connections one HAProxy instance is configured for (maxconn: two descriptors each). */
  lbMaxConn: number;
  /** Share of a CPU, memory or descriptor budget to plan for, leaving headroom for bursts, reconnect storms and a lost peer. */
  cpuTarget: number;
  memoryTarget: number;
  fdTarget: number;
  /** Network out of one Redis shard, MB/s (10⁶ bytes). */
  redisShardNetMBps: number;
  /** Fewest nodes and HAProxy instances, so that one can fail. */
  minInstances: number;
  /** PostgreSQL connections each node (DB_POOL_SIZE) and each worker opens at most (docs/operations.md). */
  nodeDbPool: number;
  workerDbPool: number;
}

export const DEFAULT_WORKLOAD: Workload = {
  socketsPerUser: 2,
  tasksPerSecPer1kUsers: 1,
  socketsPerOrg: 100,
  transitionsPerTask: 6,
  pgTransactionsPerTransition: 2,
};

export const DEFAULT_LIMITS: Limits = {
  nodeCores: 1,
  nodeMemoryMB: 2048,
  nodeFdLimit: 65_536,
  lbCores: 4,
  lbMaxConn: 200_000,
  cpuTarget: 0.5,
  memoryTarget: 0.8,
  fdTarget: 0.9,
  redisShardNetMBps: 125,
  minInstances: 2,
  nodeDbPool: 10,
  workerDbPool: 5,
};

/** The traffic N sockets make under a workload. */
export interface Traffic {
  sockets: number;
  users: number;
  tasksPerSec: number;
  transitionsPerSec: number;
  deliveriesPerSec: number;
  framesPerSec: number;
}

export function traffic(sockets: number, w: Workload, c: UnitCosts): Traffic {
  const users = sockets / w.socketsPerUser;
  const tasksPerSec = (users / 1000) * w.tasksPerSecPer1kUsers;
  const deliveriesPerSec = tasksPerSec * c.rowsPerTask.value * Math.min(w.socketsPerOrg, sockets);
  return {
    sockets,
    users,
    tasksPerSec,
    transitionsPerSec: tasksPerSec * w.transitionsPerTask,
    deliveriesPerSec,
    framesPerSec: deliveriesPerSec * c.framesPerDelivery.value,
  };
}

/** How many of something one limit asks for, and what that limit is. */
export interface Need {
  limit: string;
  count: number;
  /** The load against that limit, in its own unit (cores, MB, descriptors, connections). */
  load: number;
}

/** One tier's size: the largest count any of its limits asks for (the first listed wins a tie). */
export interface Tier {
  count: number;
  binding: string;
  needs: Need[];
}

function tier(needs: Need[]): Tier {
  const top = needs.reduce((a, b) => (b.count > a.count ? b : a));
  return { count: top.count, binding: top.limit, needs };
}

export interface Sizing {
  traffic: Traffic;
  nodes: Tier;
  loadBalancers: Tier;
  redisShards: Tier;
  workers: Tier;
  /** PostgreSQL: cores of one primary (at the CPU target), the write rate it must take, the connections it must accept. */
  postgres: { cores: number; cpuCores: number; transactionsPerSec: number; rowsWrittenPerSec: number | null; connections: number };
  /** Per node, at the chosen count. */
  perNode: { sockets: number; rssMB: number; cpuCores: number };
}

const up = (x: number) => Math.max(0, Math.ceil(x - 1e-9));

export function size(sockets: number, w: Workload, l: Limits, c: UnitCosts): Sizing {
  const t = traffic(sockets, w, c);
  const nodeCpu = (t.framesPerSec * c.nodeCpuMsPerFrame.value) / 1000;
  const socketsMB = (sockets * c.rssPerSocketKB.value) / 1024;
  const nodeRoomMB = l.nodeMemoryMB * l.memoryTarget - c.nodeBaseRssMB.value;
  if (nodeRoomMB <= 0) throw new Error(`a node's base RSS (${c.nodeBaseRssMB.value} MB) leaves no memory for sockets`);
  const nodes = tier([
    { limit: 'redundancy (minimum instances)', count: l.minInstances, load: 0 },
    { limit: 'node CPU', count: up(nodeCpu / (l.nodeCores * l.cpuTarget)), load: nodeCpu },
    { limit: 'node memory', count: up(socketsMB / nodeRoomMB), load: socketsMB },
    { limit: 'node descriptors', count: up(sockets / (l.nodeFdLimit * l.fdTarget)), load: sockets },
  ]);
  const lbCpu = (t.framesPerSec * c.haproxyCpuMsPerFrame.value) / 1000;
  const loadBalancers = tier([
    { limit: 'redundancy (minimum instances)', count: l.minInstances, load: 0 },
    { limit: 'HAProxy CPU', count: up(lbCpu / (l.lbCores * l.cpuTarget)), load: lbCpu },
    { limit: 'HAProxy connections (maxconn)', count: up(sockets / (l.lbMaxConn * l.fdTarget)), load: sockets },
  ]);
  // Redis runs commands on one thread: a shard is one core.
  const redisCpu = (t.transitionsPerSec * c.redisCpuMsPerTransition.value) / 1000;
  // Every subscribed node gets each broadcast: Redis's output grows with the nodes as well as the rate.
  const { redisOutBytesPerPublishPerNode: perNode, publishesPerTransition: publishes } = c;
  const redisOutMBps = perNode && publishes ? (t.transitionsPerSec * publishes.value * perNode.value * nodes.count) / 1e6 : null;
  const redisShards = tier([
    { limit: 'one shard', count: 1, load: 0 },
    { limit: 'Redis CPU (one core per shard)', count: up(redisCpu / l.cpuTarget), load: redisCpu },
    ...(redisOutMBps === null
      ? []
      : [{ limit: 'Redis network out', count: up(redisOutMBps / (l.redisShardNetMBps * l.cpuTarget)), load: redisOutMBps }]),
  ]);
  const workerCpu = (t.transitionsPerSec * c.workerCpuMsPerTransition.value) / 1000;
  const workers = tier([
    { limit: 'one worker', count: 1, load: 0 },
    { limit: 'worker CPU (one core each)', count: up(workerCpu / l.cpuTarget), load: workerCpu },
  ]);
  const pgCpu = (t.transitionsPerSec * c.postgresCpuMsPerTransition.value) / 1000;
  return {
    traffic: t,
    nodes,
    loadBalancers,
    redisShards,
    workers,
    postgres: {
      cores: Math.max(1, up(pgCpu / l.cpuTarget)),
      cpuCores: pgCpu,
      transactionsPerSec: t.transitionsPerSec * w.pgTransactionsPerTransition,
      rowsWrittenPerSec: c.pgRowsWrittenPerTransition ? t.transitionsPerSec * c.pgRowsWrittenPerTransition.value : null,
      connections: nodes.count * l.nodeDbPool + workers.count * l.workerDbPool,
    },
    perNode: {
      sockets: sockets / nodes.count,
      rssMB: c.nodeBaseRssMB.value + socketsMB / nodes.count,
      cpuCores: nodeCpu / nodes.count,
    },
  };
}

/** What the model predicts for a measured run's own setup (its sockets, task rate, orgs and nodes). */
export interface RunPrediction {
  deliveriesPerSec: number;
  framesPerSec: number;
  nodesCpuCores: number;
  haproxyCpuCores: number;
  rssPerNodeMB: number;
}

export function predictRun(
  run: { sockets: number; users: number; tasksPerSec: number; orgs: number; nodes: number },
  c: UnitCosts,
): RunPrediction {
  const w: Workload = {
    ...DEFAULT_WORKLOAD,
    socketsPerUser: run.sockets / run.users,
    tasksPerSecPer1kUsers: (run.tasksPerSec * 1000) / run.users,
    socketsPerOrg: run.sockets / run.orgs,
  };
  const t = traffic(run.sockets, w, c);
  return {
    deliveriesPerSec: t.deliveriesPerSec,
    framesPerSec: t.framesPerSec,
    nodesCpuCores: (t.framesPerSec * c.nodeCpuMsPerFrame.value) / 1000,
    haproxyCpuCores: (t.framesPerSec * c.haproxyCpuMsPerFrame.value) / 1000,
    rssPerNodeMB: c.nodeBaseRssMB.value + (run.sockets * c.rssPerSocketKB.value) / 1024 / run.nodes,
  };
}
