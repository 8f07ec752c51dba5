import type { RedisClient } from '@taskflow/queue';
import type { AdminNodeStats, AdminOverview, AdminParkedJob, NodeStatsSnapshot } from '@taskflow/events';
import { QUEUES } from '@taskflow/events';
import { withDeadline, type Logger } from '@taskflow/platform';
import type { ParkedJob, ParkedJobs, PipelineQueue } from '@taskflow/queue';
import { lagSummary, sumBuckets, webhookToScreen } from './histogram-quantile';
import { readNodeStats } from './node-stats.publisher';

/** Parked jobs listed on the overview (per queue); the rest through `GET /api/admin/jobs/failed`. */
const OVERVIEW_PARKED_LIMIT = 20;
/** Redis reads of the overview give up after this: the page shows what it has rather than hang. */
const READ_TIMEOUT_MS = 1500;

const withTimeout = <T>(work: Promise<T>) => withDeadline(work, READ_TIMEOUT_MS);

const addUp = (maps: Array<Record<string, number>>) => {
  const sum: Record<string, number> = {};
  for (const m of maps) for (const [k, v] of Object.entries(m)) sum[k] = (sum[k] ?? 0) + v;
  return sum;
};

/**
 * A parked job as an admin of `scope` sees it. The raw failure reason is internal (LLM, GitHub or database error
 * text, which may name hosts, queries or another org's data): the operator reads it, an org's admin a stable
 * sentence with the job's reference to quote to the operator.
 */
export const toParkedView =
  (scope: 'cluster' | 'org') =>
  (j: {
    queue: AdminParkedJob['queue'];
    id: string;
    name: string;
    attemptsMade: number;
    failedReason: string;
    failedAt: string | null;
  }): AdminParkedJob => ({
    queue: j.queue,
    id: j.id,
    name: j.name,
    attemptsMade: j.attemptsMade,
    failedReason: scope === 'cluster' ? j.failedReason : orgFailedReason(j.queue, j.id),
    failedAt: j.failedAt,
  });

/** The failure reason an org's admin reads. */
const orgFailedReason = (queue: string, id: string) =>
  `The job failed; the cluster operator has the details under reference ${queue}/${id}`;

/** The cluster from every live node's snapshot: sums, and the lag of all nodes' buckets together. */
function aggregateNodes(snapshots: NodeStatsSnapshot[]): {
  cluster: NonNullable<AdminOverview['cluster']>;
  nodes: AdminNodeStats[];
} {
  const nodes: AdminNodeStats[] = snapshots.map(({ lagBuckets, webhookBuckets: _webhook, screenBuckets: _screen, ...rest }) => ({
    ...rest,
    lag: lagSummary(lagBuckets),
  }));
  return {
    nodes,
    cluster: {
      nodes: snapshots.length,
      sockets: snapshots.reduce((n, s) => n + s.sockets, 0),
      messagesPerSecond: Math.round(snapshots.reduce((n, s) => n + s.messagesPerSecond, 0) * 10) / 10,
      lag: lagSummary(sumBuckets(snapshots.map((s) => s.lagBuckets))),
      errors: addUp(snapshots.map((s) => s.errors)),
      webhooksIgnored: addUp(snapshots.map((s) => s.webhooksIgnored)),
    },
  };
}

/**
 * An org's admin sees the org's parked jobs only: node figures, queue depths and webhook deliveries are the
 * cluster's (they would tell one org about the others' activity). `own` keeps the jobs that are the org's.
 */
export async function buildOrgOverview(deps: {
  parked: ParkedJobs;
  logger: Logger;
  own: (jobs: ParkedJob[]) => Promise<ParkedJob[]>;
  scanLimit: number;
}): Promise<AdminOverview> {
  const listed = await withTimeout(deps.parked.list(deps.scanLimit)).catch((err: unknown) => {
    deps.logger.warn({ err, what: 'parked jobs' }, 'operations view: read failed');
    return null;
  });
  const own = listed ? await deps.own(listed) : null;
  return {
    generatedAt: new Date().toISOString(),
    scope: 'org',
    cluster: null,
    nodes: [],
    queues: null,
    webhooks: { ignored: {}, failed: null, toScreen: null, toBroadcast: null },
    parked: (own ?? []).slice(0, OVERVIEW_PARKED_LIMIT).map(toParkedView('org')),
    parkedTotal: own ? own.length : null,
  };
}

/** What any node answers for the whole cluster (to an operator): node snapshots from Redis, queue state from BullMQ. */
export async function buildOverview(deps: {
  redis: RedisClient;
  prefix: string;
  queue: PipelineQueue;
  parked: ParkedJobs;
  logger: Logger;
}): Promise<AdminOverview> {
  const soft = <T>(what: string, work: Promise<T>) =>
    withTimeout(work).catch((err: unknown) => {
      deps.logger.warn({ err, what }, 'operations view: read failed');
      return null;
    });
  const [snapshots, queues, parked] = await Promise.all([
    soft('node stats', readNodeStats(deps.redis, deps.prefix)),
    soft('queue counts', deps.queue.counts()),
    soft('parked jobs', deps.parked.list(OVERVIEW_PARKED_LIMIT)),
  ]);
  const { cluster, nodes } = aggregateNodes(snapshots ?? []);
  return {
    generatedAt: new Date().toISOString(),
    scope: 'cluster',
    cluster,
    nodes,
    queues,
    webhooks: {
      ignored: cluster.webhooksIgnored,
      failed: queues ? queues[QUEUES.webhooks].failed : null,
      toScreen: webhookToScreen(sumBuckets((snapshots ?? []).map((s) => s.screenBuckets ?? []))),
      toBroadcast: webhookToScreen(sumBuckets((snapshots ?? []).map((s) => s.webhookBuckets ?? []))),
    },
    parked: (parked ?? []).map(toParkedView('cluster')),
    parkedTotal: queues ? Object.values(queues).reduce((n, q) => n + q.failed, 0) : null,
  };
}
