import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  FollowResponse,
  IdempotentActionHeaders,
  ListNotificationsQuery,
  NotificationListResponse,
  NotificationPreferencesResponse,
  NotificationsReadResponse,
  MarkNotificationsReadBody,
  NotificationPreferencesBody,
  rooms,
  TaskIdParams,
  type ServerEventPayload,
} from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import {
  getNotificationPreferences,
  getTask,
  isFollowing,
  listNotifications,
  markNotificationsRead,
  setFollow,
  setNotificationPreferences,
  unreadNotificationCount,
  type Db,
} from '@taskflow/store';
import type { HttpRateLimits } from '../http/rate-limits';
import { applyOnce, idempotentRequest, sendAnswer } from '../http/idempotency';
import { ERROR_RESPONSES, SIGNED_IN } from '../http/route-schema';

export interface NotificationsRoutesDeps {
  db: Db;
  limits: HttpRateLimits;
  perMinute: { write: number };
}

/**
 * The signed-in user's notifications, their preferences, and following tasks. A change
 * made here (marked read) is pushed to the user's room, so every tab and device agrees.
 */
const doc = { tags: ['notifications'], security: SIGNED_IN };

export async function notificationsRoutes(plain: FastifyInstance, deps: NotificationsRoutesDeps): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps;
  app.addHook('preHandler', app.authenticate);
  const write = deps.limits.perUser('notification-write', deps.perMinute.write, 'notification changes');
  const toUser = (userId: string, payload: ServerEventPayload<'notification:read'>) => {
    if (app.hasDecorator('io')) app.io.to(rooms.user(userId)).emit('notification:read', payload);
  };
  const visibleTask = async (viewer: { id: string; orgId: string }, taskId: string) => {
    // The same answer for a task that does not exist and one the viewer may not see.
    if (!(await getTask(db, viewer, taskId))) throw AppError.notFound('Task not found');
  };

  const listDoc = {
    ...doc,
    description: "The user's notifications, newest first (`unread=true`: only unread ones), and the unread count.",
    querystring: ListNotificationsQuery,
    response: { 200: NotificationListResponse, ...ERROR_RESPONSES },
  };
  app.get('/api/notifications', { schema: listDoc }, async (request) => {
    const [notifications, unreadCount] = await Promise.all([
      listNotifications(db, request.user.id, { limit: request.query.limit, unread: request.query.unread }),
      unreadNotificationCount(db, request.user.id),
    ]);
    return { notifications, unreadCount };
  });

  const readDoc = {
    ...doc,
    description: 'Mark some notifications (`ids`) or all of them (`all: true`) read; every tab of the user hears `notification:read`.',
    body: MarkNotificationsReadBody,
    response: { 200: NotificationsReadResponse, ...ERROR_RESPONSES },
  };
  app.post('/api/notifications/read', { schema: readDoc, preHandler: write }, async (request) => {
    const { user } = request;
    const ids = await markNotificationsRead(db, user.id, 'all' in request.body ? { all: true } : { ids: request.body.ids });
    const unreadCount = await unreadNotificationCount(db, user.id);
    if (ids.length > 0) toUser(user.id, { ids, all: 'all' in request.body, unreadCount });
    return { ids, unreadCount };
  });

  const prefsDoc = {
    ...doc,
    description: 'The notification kinds the user wants; the others are neither stored nor pushed.',
    response: { 200: NotificationPreferencesResponse, ...ERROR_RESPONSES },
  };
  app.get('/api/notifications/preferences', { schema: prefsDoc }, async (request) => ({
    kinds: await getNotificationPreferences(db, request.user.id),
  }));

  app.put(
    '/api/notifications/preferences',
    {
      schema: { ...prefsDoc, description: 'Choose the notification kinds the user wants.', body: NotificationPreferencesBody },
      preHandler: write,
    },
    async (request) => ({ kinds: await setNotificationPreferences(db, request.user.id, request.body.kinds) }),
  );

  const followDoc = { ...doc, params: TaskIdParams, response: { 200: FollowResponse, ...ERROR_RESPONSES } };
  app.get(
    '/api/tasks/:id/follow',
    { schema: { ...followDoc, description: 'Whether the user follows the task (is notified of it).' } },
    async (request) => {
      await visibleTask(request.user, request.params.id);
      return { following: await isFollowing(db, request.user.id, request.params.id) };
    },
  );

  for (const [method, following] of [
    ['POST', true],
    ['DELETE', false],
  ] as const) {
    app.route({
      method,
      url: '/api/tasks/:id/follow',
      schema: {
        ...followDoc,
        headers: IdempotentActionHeaders,
        description:
          (following ? 'Follow the task: be notified of it.' : 'Stop following the task.') +
          ' With an `Idempotency-Key` header, applied at most once; a repeat gets the first answer.',
      },
      preHandler: write,
      handler: async (request, reply) => {
        const { user } = request;
        const answer = await applyOnce(db, user.id, idempotentRequest(request), 200, async (claim) => {
          await visibleTask(user, request.params.id);
          await setFollow(db, user.id, request.params.id, following, claim);
          return { following };
        });
        return sendAnswer(reply, answer);
      },
    });
  }
}
