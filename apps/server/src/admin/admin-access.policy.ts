import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '@taskflow/platform';
import { userRole, type Db } from '@taskflow/store';
import { sessionCookieOf, sessionOfCookie, type CookieSessionDeps } from '../auth/session.cookie';

/** Exactly what an unknown route answers: to anyone but an admin, the operations view does not exist. */
export const hiddenRoute = (request: FastifyRequest) =>
  new AppError('NOT_FOUND', 404, `No route for ${request.method} ${request.url.split('?')[0]}`);

/** Who is asking, by Bearer token or session cookie, without the write checks (CSRF) yet. */
async function whoIsAsking(request: FastifyRequest, cookie: CookieSessionDeps): Promise<string> {
  if (request.headers.authorization) {
    await request.jwtVerify();
    return request.user.id;
  }
  return (await sessionOfCookie(cookie, sessionCookieOf(cookie, request.raw, request.cookies))).user.id;
}

/**
 * onRequest guard of the admin routes: runs before the body is read or validated, so a
 * non-admin (or nobody) learns nothing, not even that a body was wrong. The role is read
 * from the database (a demotion applies at once). An admin then goes through the normal
 * authentication, so a cookie write without its CSRF token still answers 403.
 */
export function adminOnly(app: FastifyInstance, deps: { db: Db; cookie: CookieSessionDeps }) {
  return async (request: FastifyRequest): Promise<void> => {
    let userId: string;
    try {
      userId = await whoIsAsking(request, deps.cookie);
    } catch {
      throw hiddenRoute(request);
    }
    if ((await userRole(deps.db, userId)) !== 'admin') throw hiddenRoute(request);
    await app.authenticate(request);
  };
}
