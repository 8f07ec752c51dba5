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
  return server;
}
