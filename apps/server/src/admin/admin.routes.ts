import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AdminOverviewResponse, AdminParkedJobsResponse, AdminReplayedResponse, AdminRetryBody } from '@taskflow/events';
import { AppError, withDeadline, type Logger, type RedisSettings } from '@taskflow/platform';
import { createRedisClient, ParkedJobs, type PipelineQueue } from '@taskflow/queue';
import type { Db } from '@taskflow/store';
import type { CookieSessionDeps } from '../auth/session.cookie';
import { ERROR_RESPONSES, SIGNED_IN } from '../http/route-schema';
import type { RealtimeMetrics } from '../realtime/metrics';
import { adminOnly, adminScope, jobsInScope } from './admin-access.policy';
import { buildOrgOverview, buildOverview, toParkedView } from './admin-overview';
import { NodeStatsPublisher } from './node-stats.publisher';
import { nodeStatsSource } from './node-stats.source';

export interface AdminDeps {
  db: Db;
  queue: PipelineQueue;
  metrics: RealtimeMetrics;
  cookie: CookieSessionDeps;
  logger: Logger;
  redis: RedisSettings;
  /** Redis key prefixes (not `prefix`: Fastify reads that as a route prefix): the BullMQ queues' (QUEUE_PREFIX), the node snapshots' (REDIS_KEY_PREFIX). */
  queuePrefix: string;
  keyPrefix: string;
  nodeId: string;
  statsIntervalMs: number;
}

/** Parked jobs listed by `GET /api/admin/jobs/failed` (per queue). */
const FAILED_LIST_LIMIT = 500;

/**
 * The operations view: this node publishes its snapshot, and answers for the whole cluster
 * (every live node's snapshot, BullMQ's queues), with a replay of parked jobs. Operators see
 * all of it; an org's admin only the org's parked jobs (another org's job answers 404, as a
 * job that does not exist). To anyone else these routes do not exist (404, as an unknown route).
 * Left out of the public /api/docs (http/api-docs.ts); docs/operations.md lists them.
 */
const doc = { tags: ['admin'], security: SIGNED_IN };

export async function adminRoutes(plain: FastifyInstance, deps: AdminDeps): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  // Its own client: snapshots and the operations view never queue behind the pipeline's commands,
  // and fail fast while Redis is away (the page says so) instead of waiting for it.
  const redis = createRedisClient(deps.redis, { enableOfflineQueue: true, maxRetriesPerRequest: 1, connectTimeout: 3000 });
  redis.on('error', (err) => deps.logger.debug({ err: err.message }, 'admin redis error'));
  const parked = new ParkedJobs(redis, deps.queuePrefix);
  const publisher = new NodeStatsPublisher(redis, nodeStatsSource(app, deps.metrics), {
    nodeId: deps.nodeId,
    prefix: deps.keyPrefix,
    intervalMs: deps.statsIntervalMs,
    logger: deps.logger,
  });
  // A node that shuts down leaves the view at once rather than when its snapshot expires.
  app.addHook('preClose', async () => {
    await withDeadline(publisher.stop(), 1000).catch(() => undefined);
  });
  app.addHook('onClose', async () => {
    await withDeadline(parked.close(), 1000).catch(() => undefined);
    redis.disconnect();
  });

  app.addHook('onRequest', adminOnly(app, { db: deps.db, cookie: deps.cookie }));

  const overviewDoc = {
    ...doc,
    description:
      'Operators (404 to anyone else): every live node (sockets, messages/s, lag p50/p99, errors), BullMQ queues, ignored and failed webhooks, parked jobs. ' +
      "An org's admin: `scope: org`, the org's parked jobs only.",
    response: { 200: AdminOverviewResponse, ...ERROR_RESPONSES },
  };
  app.get('/api/admin/overview', { schema: overviewDoc }, async (request) => {
    const scope = adminScope(request);
    if (scope.kind === 'org')
      return buildOrgOverview({
        parked,
        logger: deps.logger,
        own: (jobs) => jobsInScope(deps.db, scope, jobs),
        scanLimit: FAILED_LIST_LIMIT,
      });
    return buildOverview({ redis, prefix: deps.keyPrefix, queue: deps.queue, parked, logger: deps.logger });
  });

  const failedDoc = {
    ...doc,
    description:
      "Admins only: the parked (failed) jobs of every queue (an org's admin: the org's, with a reference to quote to the operator instead of the raw failure reason).",
    response: { 200: AdminParkedJobsResponse, ...ERROR_RESPONSES },
  };
  app.get('/api/admin/jobs/failed', { schema: failedDoc }, async (request) => {
    const jobs = await withDeadline(parked.list(FAILED_LIST_LIMIT), 5000).catch(() => {
      throw new AppError('UNAVAILABLE', 503, 'The job queues cannot be read right now; try again in a moment');
    });
    const scope = adminScope(request);
    return { jobs: (await jobsInScope(deps.db, scope, jobs)).map(toParkedView(scope.kind)) };
  });

  const retryDoc = {
    ...doc,
    description:
      "Admins only: replay one parked job (`id`) or every parked job of a queue (an org's admin: the org's; another org's job answers 404).",
    body: AdminRetryBody,
    response: { 200: AdminReplayedResponse, ...ERROR_RESPONSES },
  };
  app.post('/api/admin/jobs/retry', { schema: retryDoc }, async (request) => {
    const { queue, id } = request.body;
    const scope = adminScope(request);
    const unavailable = () => {
      throw new AppError('UNAVAILABLE', 503, 'The job queues cannot be reached right now; nothing was replayed');
    };
    if (id === undefined) {
      const replayed = await withDeadline(
        parked.retryAll(queue, (jobs) => jobsInScope(deps.db, scope, jobs)),
        10_000,
      ).catch(unavailable);
      request.log.info({ queue, replayed: replayed.length, by: request.user.username }, 'parked jobs replayed');
      return { replayed };
    }
    // Another org's job is 'gone': the same 404 as an id that does not exist, so ids do not leak.
    const may = async (data: unknown) => (await jobsInScope(deps.db, scope, [{ data }])).length === 1;
    const outcome = await withDeadline(parked.retry(queue, id, may), 5000).catch(unavailable);
    if (outcome === 'gone' || outcome === 'not_parked') throw new AppError('NOT_FOUND', 404, `No parked job ${id} in ${queue}`);
    request.log.info({ queue, id, outcome, by: request.user.username }, 'parked job replayed');
    return { replayed: outcome === 'replayed' ? [{ queue, id }] : [] };
  });
}
