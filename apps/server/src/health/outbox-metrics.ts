import { sql } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import { withDeadline } from '@taskflow/platform';
import type { Db } from '@taskflow/store';

/** Well under a Prometheus scrape timeout (10 s by default): a stalled PostgreSQL leaves the series absent, not the scrape hanging. */
const OUTBOX_QUERY_TIMEOUT_MS = 2000;

/**
 * The outbox backlog, read from PostgreSQL at scrape time: `taskflow_outbox_unpublished_events` (timeline events
 * committed but not yet handed to Redis by the publishing worker) and `taskflow_outbox_oldest_unpublished_seconds`
 * (how long the oldest has waited). The publisher's sweep re-publishes after PUBLISH_SWEEP_OLDER_THAN_MS, so an age
 * well past it means no worker is publishing. One indexed query (task_events_unpublished_idx) per scrape of each
 * node; absent while PostgreSQL does not answer.
 */
export function registerOutboxMetrics(registry: Registry, db: Db): void {
  let pending: Promise<{ events: number; oldestSeconds: number } | undefined> | undefined;
  // Both gauges are collected in one scrape: they share one query.
  const read = () =>
    (pending ??= withDeadline(
      sql<{ events: number; age: number }>`
        select count(*)::int as events, coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as age
        from task_events where published_at is null`.execute(db),
      OUTBOX_QUERY_TIMEOUT_MS,
    )
      .then(
        (r) => ({ events: r.rows[0]?.events ?? 0, oldestSeconds: Math.max(0, r.rows[0]?.age ?? 0) }),
        () => undefined,
      )
      .finally(() => setImmediate(() => (pending = undefined))));
  new Gauge({
    name: 'taskflow_outbox_unpublished_events',
    help: 'Timeline events committed and not yet published to Redis (the outbox backlog)',
    registers: [registry],
    async collect() {
      const outbox = await read();
      if (outbox) this.set(outbox.events);
      else this.reset();
    },
  });
  new Gauge({
    name: 'taskflow_outbox_oldest_unpublished_seconds',
    help: 'Age of the oldest unpublished timeline event, 0 when the outbox is empty',
    registers: [registry],
    async collect() {
      const outbox = await read();
      if (outbox) this.set(outbox.oldestSeconds);
      else this.reset();
    },
  });
}
