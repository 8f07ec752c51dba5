import { Counter, type Registry } from 'prom-client';

/** Deliveries acknowledged (2xx) but not applied, by reason: forks and foreign repositories show up here. */
export function webhookIgnoredCounter(registry: Registry): Counter<'reason'> {
  return new Counter({
    name: 'taskflow_webhook_deliveries_ignored_total',
    help: 'GitHub deliveries acknowledged and ignored by this node, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
}

/**
 * Deliveries answered with an error, by status: 401 (signature missing or wrong: a changed secret on either side),
 * 400 (malformed), 413 (too large), 503 (could not be queued: Redis away; GitHub shows the failure, redeliver it).
 */
export function webhookFailedCounter(registry: Registry): Counter<'status'> {
  return new Counter({
    name: 'taskflow_webhook_deliveries_failed_total',
    help: 'GitHub deliveries this node answered with an error status, by status',
    labelNames: ['status'],
    registers: [registry],
  });
}
