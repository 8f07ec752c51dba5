import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { LoginBody, rooms, SessionResponse } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { createSession, revokeSession, type SessionRecord } from '@taskflow/store';
import { ERROR_RESPONSES, NO_CONTENT, SIGNED_IN } from '../http/route-schema';
import { checkLogin } from './login.check';
import type { LoginLimiter } from './login-limiter';
import { clearSessionCookie, csrfToken, setSessionCookie, type CookieSessionDeps } from './session.cookie';

/**
 * Browser sessions: log in into an httpOnly cookie, read the session (a new tab), log out
 * everywhere. `POST /api/auth/login` (a Bearer token in the body) stays for API clients.
 */
const tags = ['auth'];

export async function sessionRoutes(plain: FastifyInstance, deps: CookieSessionDeps & { loginLimiter: LoginLimiter }): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const answer = (session: SessionRecord): SessionResponse => ({
    user: session.user,
    csrfToken: csrfToken(deps.secret, session.id),
    expiresAt: session.expiresAt.toISOString(),
    idleSeconds: Math.round(deps.limits.idleMs / 1000),
  });

  // Login CSRF: the body must be JSON (a cross-site form cannot send it without a CORS preflight we never grant).
  const loginDoc = {
    tags,
    description:
      'Log in to a browser session: an httpOnly cookie, and the CSRF token its writes must send. Failed attempts are limited ' +
      '(429 RATE_LIMITED); 503 LOGIN_BUSY with Retry-After while this server has too many logins to check.',
    body: LoginBody,
    response: { 200: SessionResponse, ...ERROR_RESPONSES },
  };
  app.post('/api/auth/session', { schema: loginDoc, onRequest: deps.loginLimiter.admit }, async (request, reply) => {
    const user = await checkLogin(deps, request, request.body, reply);
    const { token, session } = await createSession(deps.db, user.id, deps.limits);
    setSessionCookie(reply, token, deps.limits);
    return answer(session);
  });

  // A new tab (or a reload) asks who it is: the cookie answers, and the session slides.
  const readDoc = {
    tags,
    security: SIGNED_IN,
    description: 'The current browser session (it slides); 404 NO_SESSION for a Bearer token.',
    response: { 200: SessionResponse, ...ERROR_RESPONSES },
  };
  app.get('/api/auth/session', { schema: readDoc, preHandler: app.authenticate }, async (request) => {
    if (!request.session) throw new AppError('NO_SESSION', 404, 'This request was not made with a browser session');
    return answer(request.session);
  });

  const logoutDoc = {
    tags,
    security: SIGNED_IN,
    description: "Log out: the session is revoked and every tab's socket of it is told and closed.",
    response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
  };
  app.delete('/api/auth/session', { schema: logoutDoc, preHandler: app.authenticate }, async (request, reply) => {
    const session = request.session;
    if (!session) throw new AppError('NO_SESSION', 404, 'This request was not made with a browser session');
    await revokeSession(deps.db, session.id);
    clearSessionCookie(reply);
    // Every tab on every node: tell it, then close its socket (a reconnect with the revoked cookie is refused).
    if (app.hasDecorator('io')) {
      app.io.to(rooms.session(session.id)).emit('session:ended', { reason: 'logout' });
      app.io.in(rooms.session(session.id)).disconnectSockets(true);
    }
    return reply.status(204).send(null);
  });
}
