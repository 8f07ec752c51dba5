import { Gauge, type Registry } from 'prom-client';
import type { PipelineQueue } from '@taskflow/queue';

/**
 * `taskflow_jobs{queue,state}`: pipeline jobs waiting, running, backing off and
 * parked (failed; `npm run jobs -- retry-failed` replays them), read from BullMQ
 * on each scrape. While Redis is unreachable the series are absent, not stale.
 */
export function registerJobMetrics(registry: Registry, queue: PipelineQueue): Gauge<'queue' | 'state'> {
  return new Gauge({
    name: 'taskflow_jobs',
    help: 'Pipeline jobs per queue and state (failed = parked after every retry)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      const counts = await queue.counts().catch(() => undefined);
      this.reset();
      for (const [name, states] of Object.entries(counts ?? {})) {
        for (const [state, n] of Object.entries(states)) this.set({ queue: name, state }, n);
      }
    },
  });
}
