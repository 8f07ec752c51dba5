import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CSRF_FAILED, UserDisabledBody, UserDisabledResponse, UserIdParams } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { setUserDisabled, type Db } from '@taskflow/store';
import { endEverySignIn, forgetEverywhere } from '../auth/end-sign-ins';
import type { TokenStandingCache } from '../auth/token-standing.cache';
import { ERROR_RESPONSES, SIGNED_IN } from '../http/route-schema';
import { mayManageUser } from './user-admin.policy';

/**
 * Disabling an account (admins of its org): it cannot log in, its sessions and tokens are revoked, and its
 * sockets on every node are told (`session:ended`, reason `disabled`) and closed at once. API only for now.
 */
export async function userStatusRoutes(plain: FastifyInstance, deps: { db: Db; standing: TokenStandingCache }): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  // Before the body is read: to anyone who may not manage this user, the route does not exist (as admin routes).
  const notFound = (request: FastifyRequest) =>
    new AppError('NOT_FOUND', 404, `No route for ${request.method} ${request.url.split('?')[0]}`);
  app.addHook('onRequest', async (request) => {
    try {
      await app.authenticate(request);
    } catch (err) {
      // A cookie write without its CSRF token is still told so; everyone else learns nothing.
      if (err instanceof AppError && err.code === CSRF_FAILED) throw err;
      throw notFound(request);
    }
    const { userId } = request.params as { userId?: string };
    if (!userId || !(await mayManageUser(deps.db, request.user.id, userId))) throw notFound(request);
  });

  const doc = {
    tags: ['admin'],
    security: SIGNED_IN,
    description:
      "Admins of the user's org only (404 to anyone else): disable (`{ disabled: true }`) or enable an account. Disabling " +
      'revokes its sessions and tokens (its logins answer 403 USER_DISABLED) and closes its sockets on every node.',
    params: UserIdParams,
    body: UserDisabledBody,
    response: { 200: UserDisabledResponse, ...ERROR_RESPONSES },
  };
  app.put('/api/admin/users/:userId/disabled', { schema: doc }, async (request) => {
    const { userId } = request.params;
    const row = await setUserDisabled(deps.db, userId, request.body.disabled);
    if (!row) throw new AppError('NOT_FOUND', 404, 'No such user');
    if (request.body.disabled) endEverySignIn(app, deps.standing, userId, 'disabled');
    else forgetEverywhere(app, deps.standing, userId);
    request.log.info({ userId, disabled: request.body.disabled, by: request.user.username }, 'account status changed');
    return { userId, disabledAt: row.disabledAt ? row.disabledAt.toISOString() : null };
  });
}
