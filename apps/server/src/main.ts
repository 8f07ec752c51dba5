import { ConfigError, createLogger, installProcessGuards, onShutdown, startTracing } from '@taskflow/platform';
import { createDb, migrateToLatest, seedDemo, seedOrgRepos } from '@taskflow/store';
import { buildApp } from './app';
import { loadServerConfig } from './config';
import { PipelineQueue } from '@taskflow/queue';

async function main(): Promise<void> {
  const config = loadServerConfig();
  const logger = createLogger('server', config.LOG_LEVEL).child({ node: config.NODE_ID });
  // A failed I/O call nobody awaited is logged and counted, not fatal; an uncaught exception still exits.
  installProcessGuards(logger);
  // Before anything that could start a span; off (a no-op) unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const stopTracing = startTracing(config.tracing, logger);
  const db = createDb(config.DATABASE_URL, {
    max: config.DB_POOL_SIZE,
    applicationName: config.NODE_ID,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_QUERY_TIMEOUT_MS,
    onError: (err) => logger.warn({ err }, 'idle database client error'),
  });
  if (config.MIGRATE_ON_START) await migrateToLatest(db);
  if (config.SEED_DEMO) {
    const { created } = await seedDemo(db, config.DEMO_PASSWORD);
    if (created.length) logger.info({ created }, 'seeded demo users');
  }
  // GITHUB_REPOS seeds a first deployment's org repositories; an org that owns some already is left to its admins.
  const repos = await seedOrgRepos(db, config.repoSeeds);
  if (repos.added.length) logger.info({ added: repos.added }, 'registered repositories from GITHUB_REPOS');
  if (repos.skipped.length) logger.info({ skipped: repos.skipped }, 'GITHUB_REPOS entries not registered');
  const queue = PipelineQueue.connect(config.redis, config.QUEUE_PREFIX, logger, {
    attempts: config.JOB_ATTEMPTS,
    backoffMs: config.JOB_BACKOFF_MS,
  });
  const app = await buildApp({ config, db, logger, queue });
  onShutdown(logger, async () => {
    // Drain: fail readiness and refuse new sockets, give the load balancer time to notice, then close
    // every socket (clients reconnect to another node), finish in-flight requests, close Redis and PostgreSQL.
    app.startDrain();
    if (config.DRAIN_DELAY_MS > 0) await new Promise((r) => setTimeout(r, config.DRAIN_DELAY_MS));
    await app.close();
    await queue.close();
    await db.destroy();
    await stopTracing();
  });
  // A deep accept queue: while a connect burst stalls the event loop, the kernel still completes the load
  // balancer's TCP health checks (Node's default of 511 filled at ~800 connects/s and HAProxy marked nodes DOWN).
  await app.listen({ port: config.PORT, host: config.HOST, backlog: LISTEN_BACKLOG });
  // Metrics on their own listener: the public port (and so the load balancer) never serves them.
  const metricsAt = await app.metricsServer.listen({ port: config.METRICS_PORT, host: config.METRICS_HOST });
  logger.info({ url: `${metricsAt}/metrics` }, 'metrics listening');
}

/** Capped by the kernel's net.core.somaxconn (4096 on current kernels). */
const LISTEN_BACKLOG = 4096;

main().catch((err: unknown) => {
  // Before the logger exists the only place to report is stderr.
  process.stderr.write(`${err instanceof ConfigError ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(1);
});
