import type { UnitCosts } from './capacity-costs';
import type { Limits, Need, Sizing, Tier, Workload } from './capacity-model';

/** The capacity model's output as Markdown: unit costs with their runs, the assumptions, the sizing per size. */

const num = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
/** Small unit costs keep three significant figures. */
const sig = (n: number) => (n === 0 ? '0' : Number(n.toPrecision(3)).toLocaleString('en-US', { maximumFractionDigits: 6 }));

const COST_LABELS: Record<keyof UnitCosts, string> = {
  rssPerSocketKB: 'RSS per socket, KB (nodes)',
  nodeBaseRssMB: 'RSS of a node without sockets, MB',
  nodeCpuMsPerFrame: 'node CPU per frame delivered, ms',
  haproxyCpuMsPerFrame: 'HAProxy CPU per frame delivered, ms',
  redisCpuMsPerTransition: 'Redis CPU per committed transition, ms',
  postgresCpuMsPerTransition: 'PostgreSQL CPU per committed transition, ms',
  workerCpuMsPerTransition: 'worker CPU per committed transition, ms',
  framesPerDelivery: 'frames per dashboard row delivered',
  rowsPerTask: 'dashboard rows per task, to each socket of its org',
  redisOutBytesPerPublishPerNode: 'Redis bytes out per broadcast per subscribed node (all output counted)',
  publishesPerTransition: 'Redis broadcasts per committed transition',
  pgRowsWrittenPerTransition: 'PostgreSQL rows written per committed transition',
};

const WORKLOAD_LABELS: Record<keyof Workload, string> = {
  socketsPerUser: 'dashboard sockets per user',
  tasksPerSecPer1kUsers: 'tasks started per second per 1,000 users',
  socketsPerOrg: 'sockets watching each org (every row goes to all of them)',
  transitionsPerTask: 'committed transitions per task',
  pgTransactionsPerTransition: 'PostgreSQL transactions per transition (commit + outbox mark; design, not measured)',
};

const LIMIT_LABELS: Record<keyof Limits, string> = {
  nodeCores: 'cores one server node uses (one event loop)',
  nodeMemoryMB: 'memory per server node, MB',
  nodeFdLimit: 'descriptors per server node (one per socket)',
  lbCores: 'cores per HAProxy instance',
  lbMaxConn: 'connections per HAProxy instance (maxconn)',
  redisShardNetMBps: 'network out of one Redis shard, MB/s',
  cpuTarget: 'CPU and network planned per core or link (headroom for bursts and a lost peer)',
  memoryTarget: 'memory planned per node',
  fdTarget: 'descriptors and connections planned per limit',
  minInstances: 'fewest nodes and HAProxy instances (one may fail)',
  nodeDbPool: 'PostgreSQL connections per node (DB_POOL_SIZE)',
  workerDbPool: 'PostgreSQL connections per worker',
};

function needsCell(t: Tier): string {
  const show = (n: Need) => `${n.limit === t.binding ? '**' : ''}${n.limit}: ${num(n.count)}${n.limit === t.binding ? '**' : ''}`;
  return t.needs.map(show).join('; ');
}

export function capacityReport(args: {
  sizes: number[];
  sizings: Sizing[];
  costs: UnitCosts;
  workload: Workload;
  limits: Limits;
  runs: string[];
}): string {
  const { sizes, sizings, costs, workload, limits } = args;
  const row = (name: string, cell: (s: Sizing) => string) => `| ${name} | ${sizings.map(cell).join(' | ')} |`;
  const lines = [
    '### Unit costs',
    '',
    `Measured runs: ${args.runs.join('; ')}.`,
    '',
    '| Unit cost | Value | From |',
    '|---|---|---|',
    ...(Object.keys(COST_LABELS) as Array<keyof UnitCosts>).map((k) => {
      const c = costs[k];
      const source = k === 'pgRowsWrittenPerTransition' ? 'pg_stat_database' : 'Redis INFO';
      return `| ${COST_LABELS[k]} | ${c ? sig(c.value) : 'not measured'} | ${c ? c.from : `no run read ${source}`} |`;
    }),
    '',
    '### Assumptions',
    '',
    '| Workload | Value |',
    '|---|---|',
    ...(Object.keys(WORKLOAD_LABELS) as Array<keyof Workload>).map((k) => `| ${WORKLOAD_LABELS[k]} | ${num(workload[k], 3)} |`),
    '',
    '| Limit | Value |',
    '|---|---|',
    ...(Object.keys(LIMIT_LABELS) as Array<keyof Limits>).map((k) => `| ${LIMIT_LABELS[k]} | ${num(limits[k], 3)} |`),
    '',
    '### Sizing',
    '',
    `| | ${sizes.map((n) => `${num(n)} sockets`).join(' | ')} |`,
    `|---|${sizes.map(() => '---').join('|')}|`,
    row('users', (s) => num(s.traffic.users)),
    row('tasks / s, transitions / s', (s) => `${num(s.traffic.tasksPerSec, 1)}, ${num(s.traffic.transitionsPerSec, 1)}`),
    row('rows delivered / s, frames / s', (s) => `${num(s.traffic.deliveriesPerSec)}, ${num(s.traffic.framesPerSec)}`),
    row('**server nodes**', (s) => `**${num(s.nodes.count)}** (${s.nodes.binding})`),
    row('nodes each limit asks for', (s) => needsCell(s.nodes)),
    row('per node: sockets, RSS MB, CPU cores', (s) => `${num(s.perNode.sockets)}, ${num(s.perNode.rssMB)}, ${num(s.perNode.cpuCores, 2)}`),
    row('**HAProxy instances**', (s) => `**${num(s.loadBalancers.count)}** (${s.loadBalancers.binding})`),
    row('HAProxy: each limit', (s) => needsCell(s.loadBalancers)),
    row(
      '**Redis shards**',
      (s) => `**${num(s.redisShards.count)}** (${s.redisShards.binding}; ${num(s.redisShards.needs[1]!.load, 2)} cores)`,
    ),
    row('Redis network out, MB/s', (s) => (s.redisShards.needs[2] ? num(s.redisShards.needs[2].load, 1) : 'not measured')),
    row('**workers**', (s) => `**${num(s.workers.count)}** (${s.workers.binding}; ${num(s.workers.needs[1]!.load, 2)} cores)`),
    row(
      '**PostgreSQL primary**',
      (s) =>
        `**${num(s.postgres.cores)} core${s.postgres.cores === 1 ? '' : 's'}** (${num(s.postgres.cpuCores, 2)} busy), ${num(s.postgres.transactionsPerSec)} write transactions / s, ${s.postgres.rowsWrittenPerSec === null ? 'rows written not measured' : `${num(s.postgres.rowsWrittenPerSec)} rows written / s`}, ${num(s.postgres.connections)} connections`,
    ),
    '',
    '### Binding limit at each size',
    '',
    ...sizings.map(
      (s, i) =>
        `- **${num(sizes[i]!)} sockets**: nodes by ${s.nodes.binding}; HAProxy by ${s.loadBalancers.binding}; Redis by ${s.redisShards.binding}; workers by ${s.workers.binding}.`,
    ),
  ];
  return lines.join('\n');
}
