import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '@taskflow/platform';
import type { Db } from '@taskflow/store';
import { sessionCookieOf, sessionOfCookie, type CookieSessionDeps } from '../auth/session.cookie';

/** Exactly what an unknown route answers: to anyone but an admin, the operations view does not exist. */
const hiddenRoute = (request: FastifyRequest) =>
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
 * What a user administers — the one place admin rights are decided (read from the database on every
 * request, so a demotion applies at once): an `operator` runs the cluster (every node, every org's jobs)
 * and is no org's admin; an `admin` administers their own org only; anyone else nothing.
 */
export type AdminScope = { kind: 'cluster' } | { kind: 'org'; orgId: string };

async function adminScopeOf(db: Db, userId: string): Promise<AdminScope | undefined> {
  const row = await db.selectFrom('users').select(['role', 'orgId']).where('id', '=', userId).executeTakeFirst();
  if (row?.role === 'operator') return { kind: 'cluster' };
  if (row?.role === 'admin') return { kind: 'org', orgId: row.orgId };
  return undefined;
}

/** Whether `userId` is an admin of `orgId` (an operator is not: org administration is the org's own). */
export async function isOrgAdmin(db: Db, userId: string, orgId: string): Promise<boolean> {
  const scope = await adminScopeOf(db, userId);
  return scope?.kind === 'org' && scope.orgId === orgId;
}

/** Each admin request's scope, set by `adminOnly` before its handler runs. */
const scopes = new WeakMap<FastifyRequest, AdminScope>();
export function adminScope(request: FastifyRequest): AdminScope {
  const scope = scopes.get(request);
  if (!scope) throw new Error('adminScope() outside a route guarded by adminOnly');
  return scope;
}

/**
 * onRequest guard of the admin routes: runs before the body is read or validated, so a
 * non-admin (or nobody) learns nothing, not even that a body was wrong. An admin (of an org,
 * or an operator) then goes through the normal authentication, so a cookie write without its
 * CSRF token still answers 403; the handlers read what it may see from `adminScope(request)`.
 */
export function adminOnly(app: FastifyInstance, deps: { db: Db; cookie: CookieSessionDeps }) {
  return async (request: FastifyRequest): Promise<void> => {
    let userId: string;
    try {
      userId = await whoIsAsking(request, deps.cookie);
    } catch {
      throw hiddenRoute(request);
    }
    const scope = await adminScopeOf(deps.db, userId);
    if (!scope) throw hiddenRoute(request);
    await app.authenticate(request);
    scopes.set(request, scope);
  };
}

/** The task a parked job is about (analysis, dispatch); webhook deliveries have none: no org owns them yet. */
const taskIdOf = (data: unknown): string | undefined =>
  data && typeof data === 'object' && typeof (data as { taskId?: unknown }).taskId === 'string'
    ? (data as { taskId: string }).taskId
    : undefined;

/**
 * The parked jobs this scope may see and replay: all of them for an operator; for an org's admin, those whose
 * task is the org's (one query for the lot). A webhook delivery belongs to no org until it is applied: operators only.
 */
export async function jobsInScope<J extends { data: unknown }>(db: Db, scope: AdminScope, jobs: J[]): Promise<J[]> {
  if (scope.kind === 'cluster') return jobs;
  const ids = [...new Set(jobs.map((j) => taskIdOf(j.data)).filter((id): id is string => id !== undefined))];
  if (ids.length === 0) return [];
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const valid = ids.filter((id) => UUID.test(id));
  const own =
    valid.length === 0
      ? new Set<string>()
      : new Set(
          (await db.selectFrom('tasks').select('id').where('id', 'in', valid).where('orgId', '=', scope.orgId).execute()).map((r) => r.id),
        );
  return jobs.filter((j) => {
    const id = taskIdOf(j.data);
    return id !== undefined && own.has(id);
  });
}
