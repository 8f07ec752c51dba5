import { Cluster } from 'ioredis';
import type { Logger } from '@taskflow/platform';
import { createRedisClient, PipelineQueue } from '@taskflow/queue';
import { createDb } from '@taskflow/store';
import { BuiltinAnalyzer } from './analysis/builtin.analyzer';
import { OpenAiAnalyzer } from './analysis/openai.analyzer';
import type { WorkerConfig } from './config';
import { OctokitTracker } from './github/octokit.tracker';
import { SandboxTracker } from './github/sandbox.tracker';
import type { PipelineContext } from './pipeline/context';
import { startReconciler } from './pipeline/reconciler';
import { startWorkerWatchdog, WorkerWatchdog } from './pipeline/worker-watchdog';
import { startWorkers, type QueueConsumer } from './pipeline/workers';
import { runPublisherLeader } from './outbox/outbox.leader';
import { EventPublisher } from './outbox/outbox.publisher';
import { RedisBroadcaster, ShardedRedisBroadcaster } from './outbox/redis.broadcaster';
import { RenewingBroadcaster } from './outbox/renewing.broadcaster';

function analyzerFor(config: WorkerConfig) {
  return config.LLM_API_KEY
    ? new OpenAiAnalyzer({
        apiKey: config.LLM_API_KEY,
        baseUrl: config.LLM_BASE_URL,
        model: config.LLM_MODEL,
        timeoutMs: config.LLM_TIMEOUT_MS,
      })
    : new BuiltinAnalyzer();
}

export interface WorkerRuntime {
  ctx: PipelineContext;
  /** One per queue. */
  consumers: readonly QueueConsumer[];
  /** Resolves once every queue's BullMQ worker is connected and taking jobs. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Everything a worker node runs (workers per queue, reconciler), wired from its config. */
export function startWorkerRuntime(config: WorkerConfig, logger: Logger): WorkerRuntime {
  const db = createDb(config.DATABASE_URL, {
    max: config.DB_POOL_SIZE,
    applicationName: config.NODE_ID,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_QUERY_TIMEOUT_MS,
    onError: (err) => logger.warn({ err }, 'idle database client error'),
  });
  // BullMQ workers block on Redis: they need unlimited retries per request.
  const connection = createRedisClient(config.redis, { maxRetriesPerRequest: null });
  connection.on('error', (err) => logger.warn({ err: err.message }, 'worker redis error'));
  const queue = PipelineQueue.connect(config.redis, config.QUEUE_PREFIX, logger, {
    attempts: config.JOB_ATTEMPTS,
    backoffMs: config.JOB_BACKOFF_MS,
  });
  const ctx: PipelineContext = {
    db,
    queue,
    analyzer: analyzerFor(config),
    tracker: config.GITHUB_TOKEN
      ? new OctokitTracker({ token: config.GITHUB_TOKEN, baseUrl: config.GITHUB_API_URL, webHost: config.githubWebHost })
      : new SandboxTracker(connection, config.REDIS_KEY_PREFIX),
    appUrl: config.APP_URL,
    github: { webHost: config.githubWebHost },
    logger,
  };
  const workers = startWorkers(connection, ctx, {
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    stalledIntervalMs: config.STALLED_INTERVAL_MS,
    lockDurationMs: config.LOCK_DURATION_MS,
    maxStalledCount: config.JOB_MAX_STALLED,
    backoffMaxMs: config.JOB_BACKOFF_MAX_MS,
  });
  const stopReconciler = startReconciler(ctx, config.RECONCILE_AFTER_MS);
  // Counted through the producer's connection, so a worker whose own connection is stuck is still seen.
  const stopWatchdog = startWorkerWatchdog(
    new WorkerWatchdog(workers, config.WORKER_STUCK_AFTER_MS, logger),
    async () => {
      const counts = await queue.counts();
      return Object.fromEntries(Object.entries(counts).map(([name, c]) => [name, c.waiting + c.prioritized]));
    },
    Math.max(500, Math.floor(config.WORKER_STUCK_AFTER_MS / 4)),
    logger,
  );
  // Broadcasts go through Redis to the Socket.IO nodes (same key prefix as their adapter): on Redis Cluster by
  // SPUBLISH in the sharded adapter's format, reaching only the nodes that host the room. A publish must
  // fail rather than wait: while Redis is away or stalled, events stay in the outbox for the sweep. Nothing is
  // queued while disconnected or re-sent after a reconnect, where it would arrive behind newer broadcasts.
  const broadcaster = new RenewingBroadcaster(
    () => {
      const pubClient = createRedisClient(config.redis, {
        commandTimeout: config.PUBLISH_TIMEOUT_MS,
        enableOfflineQueue: false,
        autoResendUnfulfilledCommands: false,
        maxRetriesPerRequest: 0,
      });
      pubClient.on('error', (err) => logger.warn({ err: err.message }, 'publisher redis error'));
      return {
        broadcaster: pubClient instanceof Cluster ? new ShardedRedisBroadcaster(pubClient) : new RedisBroadcaster(pubClient),
        release: () => pubClient.disconnect(),
      };
    },
    { renewAfterMs: Math.max(10_000, 5 * config.PUBLISH_TIMEOUT_MS), minFailures: 3, logger },
  );
  const publisher = new EventPublisher(db, broadcaster, logger);
  const stopPublisher = runPublisherLeader({
    databaseUrl: config.DATABASE_URL,
    publisher,
    logger,
    sweepEveryMs: config.PUBLISH_SWEEP_MS,
    sweepOlderThanMs: config.PUBLISH_SWEEP_OLDER_THAN_MS,
  });
  logger.info({ analyzer: ctx.analyzer.label, tracker: ctx.tracker.label }, 'worker ready');
  let stopped: Promise<void> | undefined;
  return {
    ctx,
    consumers: workers,
    ready: Promise.all(workers.map((w) => w.waitUntilReady())).then(() => undefined),
    stop: () =>
      (stopped ??= (async () => {
        stopReconciler();
        stopWatchdog();
        // close() lets running jobs finish; a job cut short later is retried by another worker.
        await Promise.all(workers.map((w) => w.close()));
        await queue.close();
        await stopPublisher();
        broadcaster.release();
        connection.disconnect();
        await db.destroy();
      })()),
  };
}
