import type { FastifyInstance } from 'fastify';
import {
  ListNotificationsQuery,
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

export interface NotificationsRoutesDeps {
  db: Db;
  limits: HttpRateLimits;
  perMinute: { write: number };
}

/**
 * The signed-in user's notifications, their preferences, and following tasks. A change
 * made here (marked read) is pushed to the user's room, so every tab and device agrees.
 */
export async function notificationsRoutes(app: FastifyInstance, deps: NotificationsRoutesDeps): Promise<void> {
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

  app.get<{ Querystring: ListNotificationsQuery }>('/api/notifications', { schema: { querystring: ListNotificationsQuery } }, async (request) => {
    const [notifications, unreadCount] = await Promise.all([
      listNotifications(db, request.user.id, { limit: request.query.limit, unread: request.query.unread }),
      unreadNotificationCount(db, request.user.id),
    ]);
    return { notifications, unreadCount };
  });

  app.post<{ Body: MarkNotificationsReadBody }>('/api/notifications/read', { schema: { body: MarkNotificationsReadBody }, preHandler: write }, async (request) => {
    const { user } = request;
    const ids = await markNotificationsRead(db, user.id, 'all' in request.body ? { all: true } : { ids: request.body.ids });
    const unreadCount = await unreadNotificationCount(db, user.id);
    if (ids.length > 0) toUser(user.id, { ids, all: 'all' in request.body, unreadCount });
    return { ids, unreadCount };
  });

  app.get('/api/notifications/preferences', async (request) => ({ kinds: await getNotificationPreferences(db, request.user.id) }));

  app.put<{ Body: NotificationPreferencesBody }>(
    '/api/notifications/preferences',
    { schema: { body: NotificationPreferencesBody }, preHandler: write },
    async (request) => ({ kinds: await setNotificationPreferences(db, request.user.id, request.body.kinds) }),
  );

  app.get<{ Params: TaskIdParams }>('/api/tasks/:id/follow', { schema: { params: TaskIdParams } }, async (request) => {
    await visibleTask(request.user, request.params.id);
    return { following: await isFollowing(db, request.user.id, request.params.id) };
  });

  for (const [method, following] of [['POST', true], ['DELETE', false]] as const) {
    app.route<{ Params: TaskIdParams }>({
      method,
      url: '/api/tasks/:id/follow',
      schema: { params: TaskIdParams },
      preHandler: write,
      handler: async (request) => {
        await visibleTask(request.user, request.params.id);
        await setFollow(db, request.user.id, request.params.id, following);
        return { following };
      },
    });
  }
}
