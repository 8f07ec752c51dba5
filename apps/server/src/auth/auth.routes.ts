import type { FastifyInstance } from 'fastify';
import { LoginBody } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { authenticate, findUserById, type Db } from '@taskflow/store';

function publicUser(u: { id: string; username: string; name: string; orgId: string }) {
  return { id: u.id, username: u.username, name: u.name, orgId: u.orgId };
}

export async function authRoutes(app: FastifyInstance, deps: { db: Db }): Promise<void> {
  app.post<{ Body: LoginBody }>(
    '/api/auth/login',
    // Password guessing is slowed per client address (scrypt already makes each try cost ~50 ms).
    { schema: { body: LoginBody }, config: { rateLimit: { max: 20, timeWindow: '1 minute' } } },
    async (request) => {
      const user = await authenticate(deps.db, request.body.username.toLowerCase(), request.body.password);
      if (!user) throw new AppError('INVALID_CREDENTIALS', 401, 'Wrong username or password');
      const session = { id: user.id, orgId: user.orgId, username: user.username, name: user.name };
      return { token: app.signSession(session), user: publicUser(user) };
    },
  );

  app.get('/api/auth/me', { preHandler: app.authenticate }, async (request) => {
    // The token may outlive the account: answer from the database, not the claims.
    const user = await findUserById(deps.db, request.user.id);
    if (!user) throw AppError.unauthorized('This account no longer exists');
    return { user: publicUser(user) };
  });
}
