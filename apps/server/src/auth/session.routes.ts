import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { LoginBody, rooms, SessionResponse, SignOutEverywhereResponse } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { createSession, readSession, revokeEverything, revokeSession, type SessionRecord } from '@taskflow/store';
import { ERROR_RESPONSES, NO_CONTENT, SIGNED_IN } from '../http/route-schema';
import { endEverySignIn, endSockets } from './end-sign-ins';
import { checkLogin } from './login.check';
import type { LoginLimiter } from './login-limiter';
import { clearSessionCookie, csrfToken, sessionCookieOf, setSessionCookie, type CookieSessionDeps } from './session.cookie';
import type { TokenStandingCache } from './token-standing.cache';

/**
 * Browser sessions: log in into an httpOnly cookie, read the session (a new tab), log out
 * everywhere. `POST /api/auth/login` (a Bearer token in the body) stays for API clients.
 */
const tags = ['auth'];

export async function sessionRoutes(
  plain: FastifyInstance,
  deps: CookieSessionDeps & { loginLimiter: LoginLimiter; standing: TokenStandingCache },
): Promise<void> {
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
    // Logging in again rotates: the session this browser had (if any) ends, so a cookie planted or copied
    // before the login never becomes the logged-in one, and the old one's sockets close.
    const previousToken = sessionCookieOf(deps, request.raw, request.cookies);
    const previous = previousToken ? await readSession(deps.db, { token: previousToken }, deps.limits) : undefined;
    if (previous && (await revokeSession(deps.db, previous.id))) endSockets(app, rooms.session(previous.id), 'replaced');
    const { token, session } = await createSession(deps.db, user.id, deps.limits);
    setSessionCookie(reply, token, deps.limits, deps.isSecure(request.raw));
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
    clearSessionCookie(reply, deps.isSecure(request.raw));
    // Every tab on every node: tell it, then close its socket (a reconnect with the revoked cookie is refused).
    endSockets(app, rooms.session(session.id), 'logout');
    return reply.status(204).send(null);
  });

  const everywhereDoc = {
    tags,
    security: SIGNED_IN,
    description:
      'Sign out everywhere: every browser session of the user ends and every Bearer token issued to them is revoked ' +
      '(401 TOKEN_REVOKED from then on, on every node within TOKEN_VERSION_CACHE_MS at most); their sockets on every ' +
      'node are told (`session:ended`, reason `signed-out-everywhere`) and closed. With a cookie it needs the CSRF header.',
    response: { 200: SignOutEverywhereResponse, ...ERROR_RESPONSES },
  };
  app.post('/api/auth/sign-out-everywhere', { schema: everywhereDoc, preHandler: app.authenticate }, async (request, reply) => {
    const userId = request.user.id;
    const done = await revokeEverything(deps.db, userId);
    if (!done) throw AppError.unauthorized('This account no longer exists');
    endEverySignIn(app, deps.standing, userId, 'signed-out-everywhere');
    if (request.session) clearSessionCookie(reply, deps.isSecure(request.raw));
    request.log.info({ userId, sessions: done.sessions }, 'signed out everywhere');
    return { sessionsEnded: done.sessions };
  });
}
