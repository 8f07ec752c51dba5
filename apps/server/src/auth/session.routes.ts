import type { FastifyInstance } from 'fastify';
import { LoginBody, rooms } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { authenticate, createSession, revokeSession, type SessionRecord } from '@taskflow/store';
import type { LoginLimiter } from './login-limiter';
import { clearSessionCookie, csrfToken, setSessionCookie, type CookieSessionDeps } from './session.cookie';

/**
 * Browser sessions: log in into an httpOnly cookie, read the session (a new tab), log out
 * everywhere. `POST /api/auth/login` (a Bearer token in the body) stays for API clients.
 */
export async function sessionRoutes(app: FastifyInstance, deps: CookieSessionDeps & { loginLimiter: LoginLimiter }): Promise<void> {
  const answer = (session: SessionRecord) => ({
    user: session.user,
    csrfToken: csrfToken(deps.secret, session.id),
    expiresAt: session.expiresAt.toISOString(),
    idleSeconds: Math.round(deps.limits.idleMs / 1000),
  });

  // Login CSRF: the body must be JSON (a cross-site form cannot send it without a CORS preflight we never grant).
  app.post<{ Body: LoginBody }>('/api/auth/session', { schema: { body: LoginBody } }, async (request, reply) => {
    const username = request.body.username.toLowerCase();
    await deps.loginLimiter.assertAllowed(request.ip, username, reply);
    const user = await authenticate(deps.db, username, request.body.password);
    if (!user) {
      await deps.loginLimiter.failed(request.ip, username);
      throw new AppError('INVALID_CREDENTIALS', 401, 'Wrong username or password');
    }
    await deps.loginLimiter.succeeded(request.ip, username);
    const { token, session } = await createSession(deps.db, user.id, deps.limits);
    setSessionCookie(reply, token, deps.limits);
    return answer(session);
  });

  // A new tab (or a reload) asks who it is: the cookie answers, and the session slides.
  app.get('/api/auth/session', { preHandler: app.authenticate }, async (request) => {
    if (!request.session) throw new AppError('NO_SESSION', 404, 'This request was not made with a browser session');
    return answer(request.session);
  });

  app.delete('/api/auth/session', { preHandler: app.authenticate }, async (request, reply) => {
    const session = request.session;
    if (!session) throw new AppError('NO_SESSION', 404, 'This request was not made with a browser session');
    await revokeSession(deps.db, session.id);
    clearSessionCookie(reply);
    // Every tab on every node: tell it, then close its socket (a reconnect with the revoked cookie is refused).
    if (app.hasDecorator('io')) {
      app.io.to(rooms.session(session.id)).emit('session:ended', { reason: 'logout' });
      app.io.in(rooms.session(session.id)).disconnectSockets(true);
    }
    return reply.status(204).send();
  });
}
