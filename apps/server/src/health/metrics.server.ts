import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/**
 * Prometheus /metrics on a listener of its own (METRICS_HOST:METRICS_PORT,
 * loopback by default), so the public port, and thus the load balancer, never
 * serves it. health.routes.ts adds GET /health (the node's id and load) here too.
 */
export function buildMetricsServer(registry: Registry): FastifyInstance {
  const server = Fastify({ logger: false });
  server.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  // Liveness (Kubernetes livenessProbe): 200 whenever the event loop answers. It asks nothing of PostgreSQL or Redis, unlike
  // /health and /api/ready: an outage of theirs fails every node at once, and restarting the nodes would not end it.
  server.get('/live', async () => ({ live: true }));
  return server;
}
