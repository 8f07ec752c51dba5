import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { PipelineQueue } from '@taskflow/queue';
import type { Db } from '@taskflow/store';
import type { Gateway } from '../realtime/gateway';
import type { RealtimeMetrics } from '../realtime/metrics';

export interface HealthDeps {
  db: Db;
  nodeId: string;
  startedAt: Date;
  metrics: RealtimeMetrics;
  queue: PipelineQueue;
  gateway: Gateway | undefined;
  isDraining: () => boolean;
}

/** Liveness and health (spec §14.3), readiness for the load balancer, and Prometheus metrics. */
export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  const databaseUp = () =>
    sql`select 1`
      .execute(deps.db)
      .then(() => true)
      .catch(() => false);

  app.get('/api/health', async (_request, reply) => {
    const database = (await databaseUp()) ? 'up' : 'down';
    const redis = deps.queue.ready ? 'up' : 'down';
    const status = database === 'up' ? 'ok' : 'degraded';
    return reply.status(status === 'ok' ? 200 : 503).send({
      status,
      node: deps.nodeId,
      draining: deps.isDraining(),
      uptimeSeconds: Math.round((Date.now() - deps.startedAt.getTime()) / 1000),
      timestamp: new Date().toISOString(),
      checks: { database, redis },
      // connectedSockets (additive): what `npm run cluster:ctl -- status` shows per node.
      websocket: { ...deps.metrics.summary(deps.gateway?.connectedUsers() ?? 0), connectedSockets: (await deps.metrics.connections.get()).values[0]?.value ?? 0 },
    });
  });

  // HAProxy routes new connections only to ready nodes.
  app.get('/api/ready', async (_request, reply) => {
    const problems = [
      deps.isDraining() && 'draining',
      !(await databaseUp()) && 'database unreachable',
      !deps.queue.ready && 'redis unreachable',
      deps.gateway && !deps.gateway.redisReady() && 'socket adapter not connected',
    ].filter(Boolean);
    return reply.status(problems.length ? 503 : 200).send({ ready: problems.length === 0, problems });
  });

  app.get('/metrics', async (_request, reply) =>
    reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics()),
  );
}
