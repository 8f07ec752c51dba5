import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Db } from '@taskflow/store';

export interface HealthDeps {
  db: Db;
  nodeId: string;
  startedAt: Date;
}

/** Liveness and dependency health of this node. */
export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  app.get('/api/health', async (_request, reply) => {
    const database = await sql`select 1`
      .execute(deps.db)
      .then(() => 'up' as const)
      .catch(() => 'down' as const);
    const status = database === 'up' ? 'ok' : 'degraded';
    return reply.status(status === 'ok' ? 200 : 503).send({
      status,
      node: deps.nodeId,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt.getTime()) / 1000),
      timestamp: new Date().toISOString(),
      checks: { database },
    });
  });
}
