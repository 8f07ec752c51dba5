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
