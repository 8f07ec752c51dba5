import type { FastifyInstance } from 'fastify';
import { LoginBody } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { authenticate, findUserById, type Db } from '@taskflow/store';
import type { LoginLimiter } from './login-limiter';

function publicUser(u: { id: string; username: string; name: string; orgId: string }) {
  return { id: u.id, username: u.username, name: u.name, orgId: u.orgId };
}

export async function authRoutes(app: FastifyInstance, deps: { db: Db; loginLimiter: LoginLimiter }): Promise<void> {
  app.post<{ Body: LoginBody }>('/api/auth/login', { schema: { body: LoginBody } }, async (request, reply) => {
    // request.ip is the client's own address: X-Forwarded-For counts only from TRUSTED_PROXIES.
    const username = request.body.username.toLowerCase();
    await deps.loginLimiter.assertAllowed(request.ip, username, reply);
    const user = await authenticate(deps.db, username, request.body.password);
    if (!user) {
      await deps.loginLimiter.failed(request.ip, username);
      throw new AppError('INVALID_CREDENTIALS', 401, 'Wrong username or password');
    }
    await deps.loginLimiter.succeeded(request.ip, username);
    const session = { id: user.id, orgId: user.orgId, username: user.username, name: user.name };
    return { token: app.signSession(session), user: publicUser(user) };
  });

  app.get('/api/auth/me', { preHandler: app.authenticate }, async (request) => {
    // The token may outlive the account: answer from the database, not the claims.
    const user = await findUserById(deps.db, request.user.id);
    if (!user) throw AppError.unauthorized('This account no longer exists');
    return { user: publicUser(user) };
  });
}
