import { Type, type Static } from '@sinclair/typebox';
import { QUEUES, type QueueName } from './queues';

/**
 * The operations view (`/api/admin/...`, admins only): what each server node publishes
 * about itself, and the cluster-wide answer built from every live node's snapshot.
 */

/** `POST /api/admin/jobs/retry`: replay every parked job of a queue, or one of them. */
export const AdminRetryBody = Type.Object(
  {
    queue: Type.Union(Object.values(QUEUES).map((q) => Type.Literal(q))),
    id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type AdminRetryBody = Static<typeof AdminRetryBody>;

/** Cumulative histogram buckets as Prometheus keeps them: `[upper bound in seconds, observations ≤ it]`, `+Inf` last. */
export type HistogramBuckets = Array<[le: number, count: number]>;

/** Commit → delivery lag over the last minute, from the buckets (null while nothing was observed). */
export interface LagSummary {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/** One server node's snapshot, as published to Redis every few seconds. */
export interface NodeStatsSnapshot {
  nodeId: string;
  /** When it was taken (ISO). */
  at: string;
  startedAt: string;
  sockets: number;
  /** Broadcasts delivered per second, over the last 10 s. */
  messagesPerSecond: number;
  /** Commit → delivery lag buckets over the last minute. */
  lagBuckets: HistogramBuckets;
  /** GitHub webhook → delivery buckets since the node started (absent from an older node's snapshot). */
  webhookBuckets?: HistogramBuckets;
  /** GitHub webhook → a browser's report that it painted the event (`task:shown`) since the node started (absent: older node). */
  screenBuckets?: HistogramBuckets;
  /** Socket errors answered since the node started, by code. */
  errors: Record<string, number>;
  /** Webhook deliveries acknowledged and ignored since the node started, by reason. */
  webhooksIgnored: Record<string, number>;
}

export interface AdminNodeStats extends Omit<NodeStatsSnapshot, 'lagBuckets' | 'webhookBuckets' | 'screenBuckets'> {
  lag: LagSummary;
}

/**
 * A GitHub webhook histogram, every node together since they started (story 2: a PR link within 1 s). `buckets`:
 * observations per bucket (not cumulative), up to `leMs`; null is above the last bound.
 */
export interface WebhookToScreen extends LagSummary {
  buckets: Array<{ leMs: number | null; count: number }>;
}

export interface AdminParkedJob {
  queue: QueueName;
  id: string;
  name: string;
  attemptsMade: number;
  failedReason: string;
  failedAt: string | null;
}

export type AdminQueueCounts = Record<QueueName, { waiting: number; active: number; delayed: number; prioritized: number; failed: number }>;

/** `GET /api/admin/overview`. */
export interface AdminOverview {
  generatedAt: string;
  /**
   * `cluster` (an operator): everything below. `org` (an org's admin): only that org's parked jobs;
   * node figures, queue depths and webhook deliveries are the cluster's, so `cluster` and `queues` are
   * null, `nodes` and `webhooks.ignored` empty, `webhooks.failed` null.
   */
  scope: 'cluster' | 'org';
  cluster: (Omit<AdminNodeStats, 'nodeId' | 'at' | 'startedAt'> & { nodes: number }) | null;
  nodes: AdminNodeStats[];
  /** BullMQ jobs per queue and state (null while Redis cannot be read, and to an org's admin). */
  queues: AdminQueueCounts | null;
  /**
   * `toScreen`: webhook received → a browser's report that the timeline event it caused is painted (`task:shown`).
   * `toBroadcast`: → the event delivered to the nodes' sockets (the server's part of it). Both null to an org's admin.
   */
  webhooks: {
    ignored: Record<string, number>;
    failed: number | null;
    toScreen: WebhookToScreen | null;
    toBroadcast: WebhookToScreen | null;
  };
  /** The first parked jobs (all of them through `GET /api/admin/jobs/failed`). */
  parked: AdminParkedJob[];
  parkedTotal: number | null;
}
