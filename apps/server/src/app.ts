import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '@taskflow/platform';
import type { Db } from '@taskflow/store';
import type { ServerConfig } from './config';
import { healthRoutes } from './health/health.routes';
import { registerErrorHandler } from './http/error-handler';

export interface AppDeps {
  config: ServerConfig;
  db: Db;
  logger: Logger;
}

/** Builds the Fastify app without listening, so tests can drive it with `inject`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast only bridges two copies of its types.
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    // Behind HAProxy: trust X-Forwarded-* for client addresses in logs and rate limits.
    trustProxy: true,
    requestIdHeader: 'x-request-id',
  });
  registerErrorHandler(app);
  await app.register(healthRoutes, { db: deps.db, nodeId: deps.config.NODE_ID, startedAt: new Date() });
  return app;
}
