import type { FastifyInstance } from 'fastify';
import { ClarifyBody, CreateTaskBody, ListTasksQuerySchema, TaskIdParams, type ListTasksQuery } from '@taskflow/events';
import type { HttpRateLimits } from '../http/rate-limits';
import type { StatsCache } from './stats-cache';
import type { TasksService } from './tasks.service';

export interface TasksRoutesDeps {
  tasks: TasksService;
  repos: readonly string[];
  stats: StatsCache;
  limits: HttpRateLimits;
  perMinute: { create: number; write: number; stats: number };
}

export async function tasksRoutes(app: FastifyInstance, deps: TasksRoutesDeps): Promise<void> {
  const { tasks } = deps;
  app.addHook('preHandler', app.authenticate);
  // Per-user budgets across nodes (the hook above has identified the user by then).
  const create = deps.limits.perUser('task-create', deps.perMinute.create, 'tasks created');
  const write = deps.limits.perUser('task-write', deps.perMinute.write, 'task changes');
  const stats = deps.limits.perUser('stats', deps.perMinute.stats, 'statistics requests');

  app.get('/api/stats', { preHandler: stats }, async (request) => deps.stats.get(request.user));

  app.get('/api/repos', async () => ({ repos: deps.repos.map((fullName, i) => ({ fullName, isDefault: i === 0 })) }));

  app.post<{ Body: CreateTaskBody }>('/api/tasks', { schema: { body: CreateTaskBody }, preHandler: create }, async (request, reply) =>
    reply.status(202).send({ task: await tasks.create(request.user, request.body) }),
  );

  app.get<{ Querystring: ListTasksQuery }>('/api/tasks', { schema: { querystring: ListTasksQuerySchema } }, async (request) =>
    tasks.list(request.user, request.query),
  );

  // The task itself (with its events), as the public contract has it.
  app.get<{ Params: TaskIdParams }>('/api/tasks/:id', { schema: { params: TaskIdParams } }, async (request) =>
    tasks.get(request.user, request.params.id),
  );

  app.post<{ Params: TaskIdParams; Body: ClarifyBody }>(
    '/api/tasks/:id/clarify',
    { schema: { params: TaskIdParams, body: ClarifyBody }, preHandler: write },
    async (request, reply) => reply.status(202).send({ task: await tasks.clarify(request.user, request.params.id, request.body.answers) }),
  );

  app.post<{ Params: TaskIdParams }>('/api/tasks/:id/retry', { schema: { params: TaskIdParams }, preHandler: write }, async (request, reply) =>
    reply.status(202).send({ task: await tasks.retry(request.user, request.params.id) }),
  );

  app.post<{ Params: TaskIdParams }>('/api/tasks/:id/cancel', { schema: { params: TaskIdParams }, preHandler: write }, async (request, reply) =>
    reply.status(202).send({ task: await tasks.cancel(request.user, request.params.id) }),
  );
}
