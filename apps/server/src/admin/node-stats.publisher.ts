import type { RedisClient } from '@taskflow/queue';
import type { HistogramBuckets, NodeStatsSnapshot } from '@taskflow/events';
import type { Logger } from '@taskflow/platform';
import { diffBuckets } from './histogram-quantile';

/** The lag on the operations view is the last minute's, not the node's whole life. */
const LAG_WINDOW_MS = 60_000;

export interface NodeStatsSource {
  sockets(): number;
  messagesPerSecond(): number;
  /** Cumulative since the node started. */
  lagBuckets(): Promise<HistogramBuckets>;
  errors(): Promise<Record<string, number>>;
  webhooksIgnored(): Promise<Record<string, number>>;
  /** Webhook → delivery, cumulative since the node started. */
  webhookBuckets(): Promise<HistogramBuckets>;
  screenBuckets(): Promise<HistogramBuckets>;
}

export interface NodeStatsKeys {
  /** Sorted set: node id → time of its last snapshot (ms). */
  nodes: string;
  node(nodeId: string): string;
}

/** Where the snapshots live: under the node's Redis key prefix (REDIS_KEY_PREFIX), like presence. */
function nodeStatsKeys(prefix: string): NodeStatsKeys {
  return { nodes: `${prefix}:admin:nodes`, node: (nodeId) => `${prefix}:admin:node:${nodeId}` };
}

/** JSON has no Infinity: the `+Inf` bound travels as a string. */
const encodeBuckets = (b: HistogramBuckets) => JSON.stringify(b.map(([le, n]) => [Number.isFinite(le) ? le : '+Inf', n]));
const decodeBuckets = (json: string): HistogramBuckets =>
  (JSON.parse(json) as Array<[number | string, number]>).map(([le, n]) => [
    le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le),
    Number(n),
  ]);

/**
 * Every few seconds this node writes a small snapshot of itself to Redis (a hash that
 * expires unless refreshed, so a dead node drops out), and notes itself in the index of
 * nodes. Any node can then answer the operations view for the whole cluster.
 */
export class NodeStatsPublisher {
  private readonly timer: NodeJS.Timeout;
  private readonly history: Array<{ at: number; buckets: HistogramBuckets }> = [];
  private readonly keys: NodeStatsKeys;
  private readonly startedAt = new Date().toISOString();
  private publishing = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly source: NodeStatsSource,
    private readonly opts: { nodeId: string; prefix: string; intervalMs: number; logger: Logger },
  ) {
    this.keys = nodeStatsKeys(opts.prefix);
    this.timer = setInterval(() => void this.tick(), opts.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  /** How long a snapshot outlives its node: a few missed intervals. */
  static ttlMs(intervalMs: number): number {
    return Math.max(3 * intervalMs, 2000);
  }

  async snapshot(now = Date.now()): Promise<NodeStatsSnapshot> {
    const cumulative = await this.source.lagBuckets();
    this.history.push({ at: now, buckets: cumulative });
    while (this.history.length > 1 && this.history[1]!.at <= now - LAG_WINDOW_MS) this.history.shift();
    const base = this.history.length > 1 ? this.history[0]!.buckets : undefined;
    return {
      nodeId: this.opts.nodeId,
      at: new Date(now).toISOString(),
      startedAt: this.startedAt,
      sockets: this.source.sockets(),
      messagesPerSecond: this.source.messagesPerSecond(),
      lagBuckets: diffBuckets(cumulative, base),
      errors: await this.source.errors(),
      webhooksIgnored: await this.source.webhooksIgnored(),
      webhookBuckets: await this.source.webhookBuckets(),
      screenBuckets: await this.source.screenBuckets(),
    };
  }

  private async tick(): Promise<void> {
    // One at a time: while Redis stalls, writes would pile up behind each other.
    if (this.publishing) return;
    this.publishing = true;
    try {
      await this.publish();
    } catch (err) {
      this.opts.logger.debug({ err }, 'node stats not published');
    } finally {
      this.publishing = false;
    }
  }

  async publish(): Promise<void> {
    const s = await this.snapshot();
    const ttl = NodeStatsPublisher.ttlMs(this.opts.intervalMs);
    const key = this.keys.node(s.nodeId);
    // One MULTI per key: on a Redis Cluster the node's hash and the index of nodes are in different slots.
    const snapshot = this.redis
      .multi()
      .hset(key, {
        nodeId: s.nodeId,
        at: s.at,
        startedAt: s.startedAt,
        sockets: s.sockets,
        messagesPerSecond: s.messagesPerSecond,
        lagBuckets: encodeBuckets(s.lagBuckets),
        errors: JSON.stringify(s.errors),
        webhooksIgnored: JSON.stringify(s.webhooksIgnored),
        webhookBuckets: encodeBuckets(s.webhookBuckets ?? []),
        screenBuckets: encodeBuckets(s.screenBuckets ?? []),
      })
      .pexpire(key, ttl)
      .exec();
    const index = this.redis
      .multi()
      .zadd(this.keys.nodes, Date.parse(s.at), s.nodeId)
      // Nodes gone for long are forgotten by whoever publishes next.
      .zremrangebyscore(this.keys.nodes, '-inf', Date.now() - 10 * ttl)
      .exec();
    await Promise.all([snapshot, index]);
  }

  /** Stops publishing and removes this node's snapshot at once (a drained node leaves the view). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([this.redis.del(this.keys.node(this.opts.nodeId)), this.redis.zrem(this.keys.nodes, this.opts.nodeId)]).catch(
      () => undefined,
    );
  }
}

/** Every live node's snapshot (expired ones are skipped), ordered by node id. */
export async function readNodeStats(redis: RedisClient, prefix: string): Promise<NodeStatsSnapshot[]> {
  const keys = nodeStatsKeys(prefix);
  const ids = await redis.zrange(keys.nodes, 0, -1);
  if (ids.length === 0) return [];
  // Not one pipeline: on a Redis Cluster the nodes' hashes are in different slots. (One connection still pipelines them.)
  const rows = await Promise.all(ids.map((id) => redis.hgetall(keys.node(id)).catch(() => undefined)));
  const snapshots: NodeStatsSnapshot[] = [];
  for (const h of rows) {
    if (!h?.nodeId) continue;
    snapshots.push({
      nodeId: h.nodeId,
      at: h.at ?? '',
      startedAt: h.startedAt ?? '',
      sockets: Number(h.sockets ?? 0),
      messagesPerSecond: Number(h.messagesPerSecond ?? 0),
      lagBuckets: decodeBuckets(h.lagBuckets ?? '[]'),
      errors: JSON.parse(h.errors ?? '{}') as Record<string, number>,
      webhooksIgnored: JSON.parse(h.webhooksIgnored ?? '{}') as Record<string, number>,
      webhookBuckets: decodeBuckets(h.webhookBuckets ?? '[]'),
      screenBuckets: decodeBuckets(h.screenBuckets ?? '[]'),
    });
  }
  return snapshots.sort((a, b) => a.nodeId.localeCompare(b.nodeId));
}
