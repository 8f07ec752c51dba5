import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_FAILED, CSRF_HEADER, sessionCookieName } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { readSession, slideSession, type Db, type SessionLimits, type SessionRecord } from '@taskflow/store';

export interface CookieSessionDeps {
  db: Db;
  limits: SessionLimits;
  /** Keys the CSRF tokens (the JWT secret: one secret to rotate). */
  secret: string;
  /** Origins a cookie-authenticated write may come from (the web app's). */
  allowedOrigins: readonly string[];
  /** Whether a request came over HTTPS (TLS here, or a trusted proxy's X-Forwarded-Proto): picks the cookie's name. */
  isSecure: (req: IncomingMessage) => boolean;
}

/**
 * The session cookie a request carries, under the name of its own scheme only: `__Host-taskflow_session` over
 * HTTPS, `taskflow_session` over plain http. An unprefixed cookie sent over HTTPS (planted by a plain-http page or
 * a subdomain) is ignored.
 */
export function sessionCookieOf(
  deps: Pick<CookieSessionDeps, 'isSecure'>,
  req: IncomingMessage,
  cookies: Record<string, string | undefined>,
) {
  return cookies[sessionCookieName(deps.isSecure(req))];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The CSRF token of a session: derived (HMAC), so nothing more is stored; only a same-origin page can read it. */
export function csrfToken(secret: string, sessionId: string): string {
  return createHmac('sha256', secret).update(`csrf:${sessionId}`).digest('base64url');
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Reads the cookie's session, or throws 401 (missing, ended, idle too long). Slides it while in use. */
export async function sessionOfCookie(deps: CookieSessionDeps, token: string | undefined): Promise<SessionRecord> {
  if (!token) throw new AppError('UNAUTHORIZED', 401, 'Authentication required');
  const session = await readSession(deps.db, { token }, deps.limits);
  if (!session) throw new AppError('SESSION_EXPIRED', 401, 'Your session has ended; log in again');
  const slid = await slideSession(deps.db, session, deps.limits);
  if (!slid) throw new AppError('SESSION_EXPIRED', 401, 'Your session has ended; log in again');
  return slid;
}

/**
 * Authenticates a request by the session cookie (the browser's way; API clients send a
 * Bearer token instead). Writes must also carry the session's CSRF token in a header and,
 * when the browser names an Origin, come from the app's own: SameSite=Strict already keeps
 * the cookie off cross-site requests, this holds where a browser or proxy does not honour it.
 */
export function cookieAuthenticator(deps: CookieSessionDeps) {
  return async (request: FastifyRequest): Promise<void> => {
    const session = await sessionOfCookie(deps, sessionCookieOf(deps, request.raw, request.cookies));
    if (!SAFE_METHODS.has(request.method)) {
      const origin = request.headers.origin;
      if (origin && !deps.allowedOrigins.includes(origin)) throw new AppError(CSRF_FAILED, 403, 'Cross-origin writes are not allowed');
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameToken(sent, csrfToken(deps.secret, session.id))) {
        throw new AppError(CSRF_FAILED, 403, `Missing or wrong ${CSRF_HEADER} header`);
      }
    }
    const { id, orgId, username, name } = session.user;
    request.user = { id, orgId, username, name, sessionId: session.id };
    request.session = session;
  };
}

/**
 * Sets the session cookie: httpOnly (out of page scripts' reach), SameSite=Strict, Path=/, no Domain; over HTTPS
 * `__Host-`-prefixed and Secure (a browser refuses the prefix without them).
 */
export function setSessionCookie(reply: FastifyReply, token: string, limits: SessionLimits, secure: boolean): void {
  reply.setCookie(sessionCookieName(secure), token, {
    httpOnly: true,
    sameSite: 'strict',
    secure,
    path: '/',
    maxAge: Math.floor(limits.maxAgeMs / 1000),
  });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(sessionCookieName(secure), { httpOnly: true, sameSite: 'strict', secure, path: '/' });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The browser session, when the request was authenticated by the cookie. */
    session?: SessionRecord;
  }
}
