import type { FastifyInstance } from 'fastify';
import type { Counter, Histogram } from 'prom-client';
import type { HistogramBuckets } from '@taskflow/events';
import type { RealtimeMetrics } from '../realtime/metrics';
import type { NodeStatsSource } from './node-stats.publisher';

const IGNORED_WEBHOOKS = 'taskflow_webhook_deliveries_ignored_total';

async function byLabel(counter: Counter | undefined, label: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of counter ? (await counter.get()).values : []) {
    const key = String(v.labels[label] ?? '');
    if (v.value > 0) out[key] = (out[key] ?? 0) + v.value;
  }
  return out;
}

async function bucketsOf(histogram: Histogram): Promise<HistogramBuckets> {
  const { values } = await histogram.get();
  return values
    .filter((v) => v.metricName?.endsWith('_bucket'))
    .map((v) => [v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le), v.value]);
}

/** This node's figures for its snapshot, read from the same metrics /metrics exposes. */
export function nodeStatsSource(app: FastifyInstance, metrics: RealtimeMetrics): NodeStatsSource {
  return {
    sockets: () => (app.hasDecorator('io') ? app.io.of('/').sockets.size : 0),
    messagesPerSecond: () => metrics.summary(0).messagesPerSecond,
    lagBuckets: () => bucketsOf(metrics.publishLag),
    webhookBuckets: () => bucketsOf(metrics.webhookToBroadcast),
    screenBuckets: () => bucketsOf(metrics.webhookToScreen),
    errors: () => byLabel(metrics.errors, 'code'),
    // Registered by the webhook routes on the same registry.
    webhooksIgnored: () => byLabel(metrics.registry.getSingleMetric(IGNORED_WEBHOOKS) as Counter | undefined, 'reason'),
  };
}
