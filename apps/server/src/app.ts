import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RouteOptions } from 'fastify';
import type { Logger } from '@taskflow/platform';
import type { Db } from '@taskflow/store';
import { adminRoutes } from './admin/admin.routes';
import { authPlugin } from './auth/auth.plugin';
import { authRoutes } from './auth/auth.routes';
import { LoginLimiter } from './auth/login-limiter';
import { cookieAuthenticator } from './auth/session.cookie';
import { sessionRoutes } from './auth/session.routes';
import { forgetOnRevocation } from './auth/end-sign-ins';
import { TokenStandingCache } from './auth/token-standing.cache';
import { userStatusRoutes } from './admin/user-status.routes';
import { secureRequestCheck } from './http/secure-request';
import type { ServerConfig } from './config';
import { healthRoutes } from './health/health.routes';
import { registerJobMetrics } from './health/job-metrics';
import { registerOutboxMetrics } from './health/outbox-metrics';
import { buildMetricsServer } from './health/metrics.server';
import { registerApiDocs } from './http/api-docs';
import { registerErrorHandler } from './http/error-handler';
import { HttpRateLimits } from './http/rate-limits';
import { registerSecurityHeaders } from './http/security-headers';
import { proxyTrust } from './http/trusted-proxies';
import { registerValidator } from './http/validator';
import type { PipelineQueue } from '@taskflow/queue';
import { notificationsRoutes } from './notifications/notifications.routes';
import { reposRoutes } from './repos/repos.routes';
import { tasksRoutes } from './tasks/tasks.routes';
import { StatsCache } from './stats/stats-cache';
import { statsRoutes } from './stats/stats.routes';
import { TasksService } from './tasks/tasks.service';
import { webhookFailedCounter, webhookIgnoredCounter } from './webhooks/webhook-metrics';
import { webhooksRoutes } from './webhooks/webhooks.routes';
import { webRoutes } from './web/web.routes';
import { clientConfigRoutes } from './client-config/client-config.routes';
import { LiveSwitch } from './rollout/live-switch';
import { rolloutRoutes } from './rollout/rollout.routes';
import { registerGateway } from './realtime/gateway';
import { RealtimeMetrics } from './realtime/metrics';
import { RequestLog } from './http/request-log';

declare module 'fastify' {
  interface FastifyInstance {
    /** Readiness goes 503 and new socket connections are refused; the caller then closes the app. */
    startDrain(): void;
    /** Prometheus /metrics, on a listener of its own (main.ts listens on METRICS_PORT); closed with the app. */
    metricsServer: FastifyInstance;
  }
}

export interface AppDeps {
  config: ServerConfig;
  db: Db;
  logger: Logger;
  queue: PipelineQueue;
  /** Sees every route as it is registered, schemas included (the fuzz test derives its requests from them). */
  onRoute?: (route: RouteOptions) => void;
}

/** Builds the Fastify app without listening, so tests can drive it with `inject` or a real port. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, db, queue } = deps;
  // Typed as Fastify's own logger so the instance is a plain FastifyInstance (pino's Logger
  // would become its logger type parameter, which no plugin's signature expects).
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    logController: new RequestLog(config.REQUEST_LOG_LEVEL),
    bodyLimit: 64 * 1024,
    // The client is the first X-Forwarded-For hop from the right that is not a trusted proxy (TRUSTED_PROXIES).
    trustProxy: proxyTrust(config.trustedProxies),
    // Never the client's X-Request-Id: one chosen by the client could be forged, collide with another's or be kilobytes long.
    requestIdHeader: false,
    // Unique across nodes and restarts: an internal error's answer quotes it as its correlation id (error-handler.ts).
    genReqId: () => randomUUID(),
  });
  if (deps.onRoute) app.addHook('onRoute', deps.onRoute);
  registerErrorHandler(app);
  registerValidator(app);
  // HTTPS or not (TLS here, or a trusted proxy's X-Forwarded-Proto): the session cookie's name and HSTS follow it.
  const isSecure = secureRequestCheck(config.trustedProxies);
  await registerSecurityHeaders(app, { hstsMaxAgeSeconds: config.HSTS_MAX_AGE_SECONDS, isSecure });
  await registerApiDocs(app);
  const limits = new HttpRateLimits(config.redis, config.REDIS_KEY_PREFIX, deps.logger);
  app.addHook('onClose', () => limits.close());
  const cookieSessions = { db, limits: config.sessionLimits, secret: config.JWT_SECRET, allowedOrigins: config.allowedOrigins, isSecure };
  const standing = new TokenStandingCache(db, config.TOKEN_VERSION_CACHE_MS);
  await app.register(authPlugin, {
    secret: config.JWT_SECRET,
    ttlSeconds: config.JWT_TTL_SECONDS,
    standing,
    cookieAuth: cookieAuthenticator(cookieSessions),
  });

  const metrics = new RealtimeMetrics();
  registerJobMetrics(metrics.registry, queue);
  registerOutboxMetrics(metrics.registry, db);
  const metricsServer = buildMetricsServer(metrics.registry);
  app.decorate('metricsServer', metricsServer);
  app.addHook('onClose', () => metricsServer.close());
  let draining = false;
  app.decorate('startDrain', () => {
    draining = true;
  });
  const isDraining = () => draining;
  // Who gets live updates (rollout controls, docs/operations.md): refuses the handshake of users not rolled in.
  const live = new LiveSwitch({
    db,
    redis: config.redis,
    keyPrefix: config.REDIS_KEY_PREFIX,
    logger: deps.logger,
    refreshMs: config.LIVE_ROLLOUT_REFRESH_MS,
  });
  const gateway = config.FEATURE_WEBSOCKET_ENABLED
    ? await registerGateway(app, {
        config,
        db,
        logger: deps.logger,
        metrics,
        isDraining,
        sessions: cookieSessions,
        liveGate: live.middleware,
      })
    : undefined;
  live.attach(app);

  await app.register(healthRoutes, {
    db,
    nodeId: config.NODE_ID,
    startedAt: new Date(),
    metrics,
    queue,
    gateway,
    isDraining,
    metricsServer,
  });
  const loginLimiter = new LoginLimiter(limits, {
    maxFailures: config.LOGIN_MAX_FAILURES,
    maxFailuresPerAddress: config.LOGIN_MAX_FAILURES_PER_ADDRESS,
    maxFailuresPerUser: config.LOGIN_MAX_FAILURES_PER_USER,
    windowSeconds: config.LOGIN_WINDOW_SECONDS,
    checks: { concurrency: config.LOGIN_CHECK_CONCURRENCY, queue: config.LOGIN_CHECK_QUEUE, perAddress: config.LOGIN_CHECKS_PER_ADDRESS },
  });
  await app.register(authRoutes, { db, loginLimiter });
  await app.register(sessionRoutes, { ...cookieSessions, loginLimiter, standing });
  await app.register(userStatusRoutes, { db, standing });
  forgetOnRevocation(app, standing);
  const tasks = new TasksService({ db, queue, logger: deps.logger, timelinePageSize: config.TIMELINE_PAGE_SIZE });
  await app.register(reposRoutes, { db, limits, perMinute: { write: config.TASK_WRITE_PER_MINUTE } });
  await app.register(tasksRoutes, {
    tasks,
    limits,
    perMinute: {
      create: config.TASK_CREATE_PER_MINUTE,
      write: config.TASK_WRITE_PER_MINUTE,
      list: config.TASK_LIST_PER_MINUTE,
      read: config.TASK_READ_PER_MINUTE,
    },
    readsInFlightPerUser: config.TASK_READS_IN_FLIGHT_PER_USER,
  });
  await app.register(statsRoutes, { stats: new StatsCache(db, config.STATS_CACHE_MS), limits, perMinute: config.STATS_PER_MINUTE });
  await app.register(notificationsRoutes, { db, limits, perMinute: { write: config.TASK_WRITE_PER_MINUTE } });
  await app.register(webhooksRoutes, {
    db,
    queue,
    secret: config.GITHUB_WEBHOOK_SECRET,
    replayWindowMs: Math.round(config.WEBHOOK_REPLAY_WINDOW_HOURS * 3_600_000),
    webHost: config.githubWebHost,
    ignored: webhookIgnoredCounter(metrics.registry),
    failed: webhookFailedCounter(metrics.registry),
  });
  await app.register(adminRoutes, {
    db,
    queue,
    metrics,
    cookie: cookieSessions,
    logger: deps.logger,
    redis: config.redis,
    queuePrefix: config.QUEUE_PREFIX,
    keyPrefix: config.REDIS_KEY_PREFIX,
    nodeId: config.NODE_ID,
    statsIntervalMs: config.ADMIN_STATS_INTERVAL_MS,
  });
  await app.register(rolloutRoutes, { db, cookie: cookieSessions, live });
  await app.register(clientConfigRoutes, { config, live });
  await app.register(webRoutes, { config });
  return app;
}
