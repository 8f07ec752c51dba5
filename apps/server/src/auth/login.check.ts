import type { FastifyReply } from 'fastify';
import { AppError } from '@taskflow/platform';
import { verifyCredentials, type Db } from '@taskflow/store';
import type { LoginLimiter } from './login-limiter';

/**
 * The one login check behind both logins (Bearer token and browser session): limited per client address and
 * username, counted as failed or succeeded. `ip` is the client's own address (X-Forwarded-For counts only
 * from TRUSTED_PROXIES).
 */
export async function checkLogin(
  deps: { db: Db; loginLimiter: LoginLimiter },
  ip: string,
  body: { username: string; password: string },
  reply: FastifyReply,
) {
  const username = body.username.toLowerCase();
  await deps.loginLimiter.assertAllowed(ip, username, reply);
  const user = await verifyCredentials(deps.db, username, body.password);
  if (!user) {
    await deps.loginLimiter.failed(ip, username);
    throw new AppError('INVALID_CREDENTIALS', 401, 'Wrong username or password');
  }
  await deps.loginLimiter.succeeded(ip, username);
  return user;
}
