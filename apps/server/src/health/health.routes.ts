import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorResponse, HealthResponse, NodeHealthResponse, ReadyResponse } from '@taskflow/events';
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
  /** The node's metrics listener (METRICS_HOST:METRICS_PORT, loopback by default): it serves the full detail as GET /health. */
  metricsServer: FastifyInstance;
}

/** Liveness and health, and readiness for the load balancer. */
const tags = ['operations'];

export async function healthRoutes(plain: FastifyInstance, deps: HealthDeps): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const databaseUp = () => databaseAnswers(deps.db);

  // Health says how this node is doing, shared dependencies included: without Redis it still serves reads, the
  // web app and its open sockets, so that is `degraded` (200), not down. Only its database makes it fail.
  const nodeHealth = async () => {
    const database = (await databaseUp()) ? 'up' : 'down';
    const redis = deps.queue.ready ? 'up' : 'down';
    const adapter = deps.gateway === undefined ? 'off' : deps.gateway.redisReady() ? 'up' : 'down';
    const reasons = [
      database === 'down' && 'database unreachable',
      redis === 'down' && 'redis unreachable: task changes are refused (503) until it returns',
      adapter === 'down' && 'socket adapter not connected to Redis: live updates from other nodes and workers are paused',
    ].filter((r): r is string => Boolean(r));
    const body = {
      status: reasons.length === 0 ? ('ok' as const) : ('degraded' as const),
      ...(reasons.length > 0 ? { reasons } : {}),
      node: deps.nodeId,
      draining: deps.isDraining(),
      uptimeSeconds: Math.round((Date.now() - deps.startedAt.getTime()) / 1000),
      timestamp: new Date().toISOString(),
      checks: { database, redis, socketAdapter: adapter } as const,
      // connectedSockets (additive): what `npm run cluster:ctl -- status` shows per node.
      websocket: {
        ...deps.metrics.summary(deps.gateway?.connectedUsers() ?? 0),
        connectedSockets: (await deps.metrics.connections.get()).values[0]?.value ?? 0,
      },
    };
    return { code: database === 'up' ? (200 as const) : (503 as const), body };
  };

  // Public: status and checks only. Node ids, user and error counts are for operators (metrics listener, admin view).
  const healthDoc = {
    tags,
    description:
      'Whether the product works: `ok`, or `degraded` with reasons (200) while Redis or the socket adapter is away; 503 without the database. Node detail is on the metrics listener (GET /health).',
    response: { 200: HealthResponse, 503: HealthResponse, ...ERROR_RESPONSES },
  };
  app.get('/api/health', { schema: healthDoc }, async (_request, reply) => {
    const { code, body } = await nodeHealth();
    return reply.status(code).send({ status: body.status, ...(body.reasons ? { reasons: body.reasons } : {}), checks: body.checks });
  });
  deps.metricsServer.get(
    '/health',
    { schema: { response: { 200: NodeHealthResponse, 503: NodeHealthResponse } } },
    async (_request, reply) => {
      const { code, body } = await nodeHealth();
      return reply.status(code).send(body);
    },
  );

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
