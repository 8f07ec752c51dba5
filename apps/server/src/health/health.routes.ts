import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorResponse, HealthResponse, ReadyResponse } from '@taskflow/events';
import type { PipelineQueue } from '@taskflow/queue';
import type { Db } from '@taskflow/store';
import type { Gateway } from '../realtime/gateway';
import type { RealtimeMetrics } from '../realtime/metrics';
import { ERROR_RESPONSES } from '../http/route-schema';
import { databaseAnswers } from './database-probe';

export interface HealthDeps {
  db: Db;
  nodeId: string;
  startedAt: Date;
  metrics: RealtimeMetrics;
  queue: PipelineQueue;
  gateway: Gateway | undefined;
  isDraining: () => boolean;
}

/** Liveness and health, and readiness for the load balancer. */
const tags = ['operations'];

export async function healthRoutes(plain: FastifyInstance, deps: HealthDeps): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const databaseUp = () => databaseAnswers(deps.db);

  // Health says how this node is doing, shared dependencies included: without Redis it still serves reads, the
  // web app and its open sockets, so that is `degraded` (200), not down. Only its database makes it fail.
  const healthDoc = {
    tags,
    description:
      'How this node is doing: `ok`, or `degraded` with reasons (200) while Redis or the socket adapter is away; 503 without its database.',
    response: { 200: HealthResponse, 503: HealthResponse, ...ERROR_RESPONSES },
  };
  app.get('/api/health', { schema: healthDoc }, async (_request, reply) => {
    const database = (await databaseUp()) ? 'up' : 'down';
    const redis = deps.queue.ready ? 'up' : 'down';
    const adapter = deps.gateway === undefined ? 'off' : deps.gateway.redisReady() ? 'up' : 'down';
    const reasons = [
      database === 'down' && 'database unreachable',
      redis === 'down' && 'redis unreachable: task changes are refused (503) until it returns',
      adapter === 'down' && 'socket adapter not connected to Redis: live updates from other nodes and workers are paused',
    ].filter((r): r is string => Boolean(r));
    const status = reasons.length === 0 ? 'ok' : 'degraded';
    return reply.status(database === 'up' ? 200 : 503).send({
      status,
      ...(reasons.length > 0 ? { reasons } : {}),
      node: deps.nodeId,
      draining: deps.isDraining(),
      uptimeSeconds: Math.round((Date.now() - deps.startedAt.getTime()) / 1000),
      timestamp: new Date().toISOString(),
      checks: { database, redis, socketAdapter: adapter },
      // connectedSockets (additive): what `npm run cluster:ctl -- status` shows per node.
      websocket: {
        ...deps.metrics.summary(deps.gateway?.connectedUsers() ?? 0),
        connectedSockets: (await deps.metrics.connections.get()).values[0]?.value ?? 0,
      },
    });
  });

  // For the load balancer: whether *this* node should get traffic. Shared dependencies (Redis) are not asked:
  // when they are down, every node is equally affected and taking them all out would switch the product off.
  const readyDoc = {
    tags,
    description: 'For the load balancer: 200 when this node should get traffic, 503 while it drains or cannot reach its database.',
    response: { 200: ReadyResponse, 503: ReadyResponse, ...ERROR_RESPONSES },
  };
  app.get('/api/ready', { schema: readyDoc }, async (_request, reply) => {
    const problems = [deps.isDraining() && 'draining', !(await databaseUp()) && 'database unreachable'].filter((p): p is string =>
      Boolean(p),
    );
    return reply.status(problems.length ? 503 : 200).send({ ready: problems.length === 0, problems });
  });

  // Metrics have a listener of their own (METRICS_PORT); say so rather than serve the web app's page here.
  const metricsDoc = {
    tags,
    description: 'Always 404: Prometheus metrics are served on the metrics listener (METRICS_PORT).',
    response: { 404: ErrorResponse },
  };
  app.get('/metrics', { schema: metricsDoc }, async (_request, reply) =>
    reply
      .status(404)
      .send({ error: 'NOT_FOUND', message: 'Metrics are served on the metrics listener (METRICS_HOST:METRICS_PORT), not here' }),
  );
}
