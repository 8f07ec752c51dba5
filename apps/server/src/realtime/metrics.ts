import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { unhandledRejectionCount } from '@taskflow/platform';
import { RateWindow } from './rate-window';
import { WebhookScreenTimer } from './fanout/webhook-screen';

/**
 * This node's real-time metrics: Prometheus series for /metrics, and the
 * `websocket` summary of the metrics listener's /health (connected users, messages per second, errors).
 */
export class RealtimeMetrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({
    name: 'taskflow_socket_connections',
    help: 'Connected sockets on this node',
    registers: [this.registry],
  });
  readonly broadcasts = new Counter({
    name: 'taskflow_socket_broadcasts_total',
    help: 'Broadcasts delivered to this node’s sockets, by event',
    labelNames: ['event'],
    registers: [this.registry],
  });
  readonly received = new Counter({
    name: 'taskflow_socket_messages_received_total',
    help: 'Client messages received',
    labelNames: ['event'],
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'taskflow_socket_errors_total',
    help: 'Socket errors answered, by code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly publishLag = new Histogram({
    name: 'taskflow_publish_lag_seconds',
    help: 'Time from an event’s commit to its broadcast reaching this node',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  /** Story 2's "PR link within 1 s of GitHub's webhook", as far as this node's broadcast (the browser adds its render). */
  readonly webhookToBroadcast = new Histogram({
    name: 'taskflow_webhook_to_broadcast_seconds',
    help: 'Time from a GitHub webhook reaching the API to the timeline event it caused reaching this node’s sockets (queue, worker, outbox included)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  /** Story 2 as the user sees it: the webhook to the browser's report that it painted the event (`task:shown`). */
  readonly webhookToScreen = new Histogram({
    name: 'taskflow_webhook_to_screen_seconds',
    help: 'Time from a GitHub webhook reaching the API to a browser reporting the timeline event it caused on screen (task:shown), on this node’s clock',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly webhookScreen = new WebhookScreenTimer(this.webhookToScreen);
  readonly unhandledRejections = unhandledRejectionsCounter(this.registry);
  readonly resyncsRequested = new Counter({
    name: 'taskflow_socket_sync_required_total',
    help: 'Times this node told its clients to resync after its Redis subscription was restored',
    registers: [this.registry],
  });
  /** What Redis sends this node's adapter subscriber: every broadcast of the cluster (classic), or its rooms' (sharded). */
  readonly pubSubBytes = new Counter({
    name: 'taskflow_redis_pubsub_received_bytes_total',
    help: "Bytes of the Redis pub/sub messages this node's Socket.IO adapter received (channel and payload, RESP framing excluded)",
    registers: [this.registry],
  });
  readonly fellBehind = new Counter({
    name: 'taskflow_socket_fell_behind_total',
    help: 'Times a socket went past WEBSOCKET_MAX_BUFFERED_BYTES and stopped getting broadcasts until it drained',
    registers: [this.registry],
  });
  readonly snapshotReads = new Counter({
    name: 'taskflow_dashboard_snapshot_reads_total',
    help: "Dashboard snapshots this node read from PostgreSQL for dashboard:join (the others were shared: a user's tabs, a reconnect storm)",
    registers: [this.registry],
  });
  readonly rebalanced = new Counter({
    name: 'taskflow_socket_rebalanced_total',
    help: 'Sockets this node asked to reconnect elsewhere because it held more than its share of the cluster (REBALANCE_*)',
    registers: [this.registry],
  });
  readonly skippedWrites = new Counter({
    name: 'taskflow_socket_broadcasts_skipped_total',
    help: 'Broadcast writes skipped for sockets that were behind (they resync from PostgreSQL)',
    registers: [this.registry],
  });
  private totalErrors = 0;
  /** Broadcasts over the last 10 s, in fixed buckets (nothing grows between health checks). */
  readonly recent = new RateWindow(10);

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'taskflow_server_' });
  }

  recordBroadcast(event: string): void {
    this.broadcasts.inc({ event });
    this.recent.record();
  }

  /** Entries the messages-per-second window holds (bounded by its buckets). */
  windowEntries(): number {
    return this.recent.size;
  }

  /**
   * Exposes the sizes of this node's in-memory realtime state on /metrics, so a
   * leak shows up (and tests can read it) without anything pruning as it reads.
   */
  observeState(sizes: { presenceEntries: () => number }): void {
    new Gauge({
      name: 'taskflow_presence_local_entries',
      help: 'Socket→task presence entries this node holds',
      registers: [this.registry],
      collect() {
        this.set(sizes.presenceEntries());
      },
    });
    const windowEntries = () => this.windowEntries();
    new Gauge({
      name: 'taskflow_rate_window_entries',
      help: 'Entries held by the messages-per-second window',
      registers: [this.registry],
      collect() {
        this.set(windowEntries());
      },
    });
  }

  recordError(code: string): void {
    this.errors.inc({ code });
    this.totalErrors += 1;
  }

  /** The `websocket` block of the node health (metrics listener /health): messages per second over the last 10 s. */
  summary(connectedUsers: number) {
    return { connectedUsers, messagesPerSecond: Math.round(this.recent.perSecond() * 10) / 10, totalErrors: this.totalErrors };
  }
}

/** Read from the process guards at scrape time: they count from the first moment of the process. */
function unhandledRejectionsCounter(registry: Registry): Counter {
  let counted = 0;
  return new Counter({
    name: 'taskflow_unhandled_rejections_total',
    help: 'Unhandled promise rejections this process logged and survived',
    registers: [registry],
    collect() {
      const seen = unhandledRejectionCount();
      if (seen > counted) this.inc(seen - counted);
      counted = seen;
    },
  });
}
