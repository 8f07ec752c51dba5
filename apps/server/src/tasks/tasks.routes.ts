import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  ClarifyBody,
  CreateTaskBody,
  IdempotentActionHeaders,
  ListTasksQuerySchema,
  TaskIdParams,
  TaskListResponse,
  TaskResponse,
  TaskWithEventsResponse,
  TimelineEventsQuery,
  TimelinePageResponse,
} from '@taskflow/events';
import type { HttpRateLimits } from '../http/rate-limits';
import { idempotentRequest, sendAnswer } from '../http/idempotency';
import { ERROR_RESPONSES, SIGNED_IN } from '../http/route-schema';
import type { TasksService } from './tasks.service';

export interface TasksRoutesDeps {
  tasks: TasksService;
  limits: HttpRateLimits;
  perMinute: { create: number; write: number; list: number; read: number };
  /** Task reads (list, detail, timeline pages) one user may have running at once on this node. */
  readsInFlightPerUser: number;
}

const tags = ['tasks'];
const doc = { tags, security: SIGNED_IN };
/** The actions take an Idempotency-Key: applied at most once per user, a repeat answered with the first answer. */
const once = {
  headers: IdempotentActionHeaders,
  note: ' With an `Idempotency-Key` header the action is applied at most once; a repeat gets the first answer (`Idempotent-Replayed: true`), the same key with another request 422 IDEMPOTENCY_KEY_REUSED. A task that has moved on answers 409 with `conflict`.',
};

export async function tasksRoutes(plain: FastifyInstance, deps: TasksRoutesDeps): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { tasks } = deps;
  app.addHook('preHandler', app.authenticate);
  // Per-user budgets across nodes (the hook above has identified the user by then).
  const create = deps.limits.perUser('task-create', deps.perMinute.create, 'tasks created');
  const write = deps.limits.perUser('task-write', deps.perMinute.write, 'task changes');
  // Reads too: a search with its counts is the costliest query a user can start, and anyone can start many at once.
  const list = deps.limits.perUser('task-list', deps.perMinute.list, 'task searches');
  const read = deps.limits.perUser('task-read', deps.perMinute.read, 'task reads');
  const inFlight = deps.limits.inFlightPerUser(deps.readsInFlightPerUser, 'task reads');

  app.post(
    '/api/tasks',
    {
      schema: {
        ...doc,
        description: 'Submit a task; it is analysed in the background. Answers 202 with the task wrapped, `{ task }`, status `received`.',
        body: CreateTaskBody,
        response: { 202: TaskResponse, ...ERROR_RESPONSES },
      },
      preHandler: create,
    },
    async (request, reply) => reply.status(202).send({ task: await tasks.create(request.user, request.body) }),
  );

  app.get(
    '/api/tasks',
    {
      schema: {
        ...doc,
        description:
          'A page of the tasks the user can see, filtered, newest first, with the counts of the whole filtered view; `nextCursor` fetches the next page.',
        querystring: ListTasksQuerySchema,
        response: { 200: TaskListResponse, ...ERROR_RESPONSES },
      },
      preHandler: [list, inFlight],
    },
    async (request) => tasks.list(request.user, request.query),
  );

  // The task itself (with its events), as the public contract has it.
  app.get(
    '/api/tasks/:id',
    {
      schema: {
        ...doc,
        description:
          'One task with the latest events of its timeline (`events`, ascending by seq), the task itself, not wrapped in `{ task }`. With `hasOlder`, GET /api/tasks/:id/events?before=`olderCursor` reads the page before. 404 alike for a task that does not exist and one the user may not see.',
        params: TaskIdParams,
        response: { 200: TaskWithEventsResponse, ...ERROR_RESPONSES },
      },
      preHandler: [read, inFlight],
    },
    async (request) => tasks.get(request.user, request.params.id),
  );

  app.get(
    '/api/tasks/:id/events',
    {
      schema: {
        ...doc,
        description:
          "A page of the task's timeline: the `limit` events before seq `before` (the latest without it), ascending by seq. Pass the answer's `olderCursor` as the next `before` while `hasOlder`.",
        params: TaskIdParams,
        querystring: TimelineEventsQuery,
        response: { 200: TimelinePageResponse, ...ERROR_RESPONSES },
      },
      preHandler: [read, inFlight],
    },
    async (request) => tasks.events(request.user, request.params.id, request.query),
  );

  app.post(
    '/api/tasks/:id/clarify',
    {
      schema: {
        ...doc,
        description:
          "Answer the analysis' clarification questions, one answer per question (creator only). Answers 202 `{ task }`, status `analyzing`: the task is analysed again with the answers, then dispatched." +
          once.note,
        headers: once.headers,
        params: TaskIdParams,
        body: ClarifyBody,
        response: { 202: TaskResponse, ...ERROR_RESPONSES },
      },
      preHandler: write,
    },
    async (request, reply) =>
      sendAnswer(reply, await tasks.clarify(request.user, request.params.id, request.body.answers, idempotentRequest(request))),
  );

  app.post(
    '/api/tasks/:id/retry',
    {
      schema: {
        ...doc,
        description: 'Start a failed task again from the analysis (creator only).' + once.note,
        headers: once.headers,
        params: TaskIdParams,
        response: { 202: TaskResponse, ...ERROR_RESPONSES },
      },
      preHandler: write,
    },
    async (request, reply) => sendAnswer(reply, await tasks.retry(request.user, request.params.id, idempotentRequest(request))),
  );

  app.post(
    '/api/tasks/:id/cancel',
    {
      schema: {
        ...doc,
        description: 'Cancel a task before it is dispatched: received, analyzing or needs_clarification (creator only).' + once.note,
        headers: once.headers,
        params: TaskIdParams,
        response: { 202: TaskResponse, ...ERROR_RESPONSES },
      },
      preHandler: write,
    },
    async (request, reply) => sendAnswer(reply, await tasks.cancel(request.user, request.params.id, idempotentRequest(request))),
  );
}
