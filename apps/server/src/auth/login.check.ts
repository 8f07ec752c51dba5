import type { FastifyReply, FastifyRequest } from 'fastify';
import { CREDENTIAL_ERRORS } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { verifyCredentials, type Db } from '@taskflow/store';
import type { LoginLimiter } from './login-limiter';

/**
 * The one login check behind both logins (Bearer token and browser session): limited per client address and
 * username (the attempt is counted before the password is checked, and given back when it was right), and by how
 * many checks this node runs at once (the route's onRequest hook, `LoginLimiter.admit`, admits it). The client's
 * address is `request.ip` (X-Forwarded-For counts only from TRUSTED_PROXIES).
 */
export async function checkLogin(
  deps: { db: Db; loginLimiter: LoginLimiter },
  request: FastifyRequest,
  body: { username: string; password: string },
  reply: FastifyReply,
) {
  const username = body.username.toLowerCase();
  // An unknown username is checked against a dummy hash (same time) and counted in the same budgets.
  const user = await deps.loginLimiter.attempt(request, username, reply, () => verifyCredentials(deps.db, username, body.password));
  if (!user) throw new AppError('INVALID_CREDENTIALS', 401, 'Wrong username or password');
  // Said only to someone who knew the password.
  if (user.disabledAt) throw new AppError('USER_DISABLED', 403, CREDENTIAL_ERRORS.USER_DISABLED);
  return user;
}
