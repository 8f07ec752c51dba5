import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '@taskflow/platform';
import type { Db } from '@taskflow/store';
import { authPlugin } from './auth/auth.plugin';
import { authRoutes } from './auth/auth.routes';
import type { ServerConfig } from './config';
import { healthRoutes } from './health/health.routes';
import { registerErrorHandler } from './http/error-handler';
import { registerValidator } from './http/validator';
import type { PipelineQueue } from '@taskflow/queue';
import { tasksRoutes } from './tasks/tasks.routes';
import { TasksService } from './tasks/tasks.service';
import { webhookIgnoredCounter } from './webhooks/webhook-metrics';
import { webhooksRoutes } from './webhooks/webhooks.routes';
import { webRoutes } from './web/web.routes';
import { registerGateway } from './realtime/gateway';
import { RealtimeMetrics } from './realtime/metrics';

declare module 'fastify' {
  interface FastifyInstance {
    /** Readiness goes 503 and new socket connections are refused; the caller then closes the app. */
    startDrain(): void;
  }
}

export interface AppDeps {
  config: ServerConfig;
  db: Db;
  logger: Logger;
  queue: PipelineQueue;
}

/** Builds the Fastify app without listening, so tests can drive it with `inject` or a real port. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, db, queue } = deps;
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast only bridges two copies of its types.
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    // Behind HAProxy: trust X-Forwarded-* for client addresses in logs and rate limits.
    trustProxy: true,
    requestIdHeader: 'x-request-id',
  });
  registerErrorHandler(app);
  registerValidator(app);
  await app.register(rateLimit, { global: false });
  await app.register(authPlugin, { secret: config.JWT_SECRET, ttlSeconds: config.JWT_TTL_SECONDS });

  const metrics = new RealtimeMetrics();
  let draining = false;
  app.decorate('startDrain', () => {
    draining = true;
  });
  const isDraining = () => draining;
  const gateway = config.FEATURE_WEBSOCKET_ENABLED ? await registerGateway(app, { config, db, logger: deps.logger, metrics, isDraining }) : undefined;

  await app.register(healthRoutes, { db, nodeId: config.NODE_ID, startedAt: new Date(), metrics, queue, gateway, isDraining });
  await app.register(authRoutes, { db });
  const tasks = new TasksService({ db, queue, repos: config.repos, logger: deps.logger });
  await app.register(tasksRoutes, { tasks, repos: config.repos, db });
  await app.register(webhooksRoutes, {
    db,
    queue,
    secret: config.GITHUB_WEBHOOK_SECRET,
    scope: { repos: config.repos, webHost: config.githubWebHost },
    ignored: webhookIgnoredCounter(metrics.registry),
  });
  await app.register(webRoutes, { config });
  return app;
}
