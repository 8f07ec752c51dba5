import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * This node's real-time metrics: Prometheus series for /metrics, and the
 * spec's §14.3 summary for /api/health.
 */
export class RealtimeMetrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: 'taskflow_socket_connections', help: 'Connected sockets on this node', registers: [this.registry] });
  readonly broadcasts = new Counter({
    name: 'taskflow_socket_broadcasts_total',
    help: 'Broadcasts delivered to this node’s sockets, by event',
    labelNames: ['event'],
    registers: [this.registry],
  });
  readonly received = new Counter({ name: 'taskflow_socket_messages_received_total', help: 'Client messages received', labelNames: ['event'], registers: [this.registry] });
  readonly errors = new Counter({ name: 'taskflow_socket_errors_total', help: 'Socket errors answered, by code', labelNames: ['code'], registers: [this.registry] });
  readonly publishLag = new Histogram({
    name: 'taskflow_publish_lag_seconds',
    help: 'Time from an event’s commit to its broadcast reaching this node',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private totalErrors = 0;
  private recent: number[] = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'taskflow_server_' });
  }

  recordBroadcast(event: string): void {
    this.broadcasts.inc({ event });
    this.recent.push(Date.now());
  }

  recordError(code: string): void {
    this.errors.inc({ code });
    this.totalErrors += 1;
  }

  /** The spec's health block: messages per second over the last 10 s. */
  summary(connectedUsers: number) {
    const cutoff = Date.now() - 10_000;
    this.recent = this.recent.filter((t) => t >= cutoff);
    return { connectedUsers, messagesPerSecond: Math.round((this.recent.length / 10) * 10) / 10, totalErrors: this.totalErrors };
  }
}
