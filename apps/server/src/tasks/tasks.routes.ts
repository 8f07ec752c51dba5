import type { FastifyInstance } from 'fastify';
import { ClarifyBody, CreateTaskBody, ListTasksQuerySchema, TaskIdParams, type ListTasksQuery } from '@taskflow/events';
import { taskStats, type Db } from '@taskflow/store';
import type { TasksService } from './tasks.service';

export async function tasksRoutes(app: FastifyInstance, deps: { tasks: TasksService; repos: readonly string[]; db: Db }): Promise<void> {
  const { tasks } = deps;
  app.addHook('preHandler', app.authenticate);

  app.get('/api/stats', async (request) => taskStats(deps.db, request.user));

  app.get('/api/repos', async () => ({ repos: deps.repos.map((fullName, i) => ({ fullName, isDefault: i === 0 })) }));

  app.post<{ Body: CreateTaskBody }>('/api/tasks', { schema: { body: CreateTaskBody } }, async (request, reply) =>
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
    { schema: { params: TaskIdParams, body: ClarifyBody } },
    async (request, reply) => reply.status(202).send({ task: await tasks.clarify(request.user, request.params.id, request.body.answers) }),
  );

  app.post<{ Params: TaskIdParams }>('/api/tasks/:id/retry', { schema: { params: TaskIdParams } }, async (request, reply) =>
    reply.status(202).send({ task: await tasks.retry(request.user, request.params.id) }),
  );

  app.post<{ Params: TaskIdParams }>('/api/tasks/:id/cancel', { schema: { params: TaskIdParams } }, async (request, reply) =>
    reply.status(202).send({ task: await tasks.cancel(request.user, request.params.id) }),
  );
}
