import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  OrgIdParams,
  RolloutChangedResponse,
  RolloutGlobalBody,
  RolloutOrgBody,
  RolloutStateResponse,
  RolloutUserBody,
  UserIdParams,
} from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import {
  listRolloutAudit,
  listRolloutOrgs,
  listRolloutUsers,
  readLiveRollout,
  setLiveRollout,
  setOrgLiveOverride,
  setUserLiveOverride,
  type Db,
  type RolloutChange,
} from '@taskflow/store';
import type { CookieSessionDeps } from '../auth/session.cookie';
import { ERROR_RESPONSES, SIGNED_IN } from '../http/route-schema';
import { adminOnly, adminScope, type AdminScope } from '../admin/admin-access.policy';
import type { LiveSwitch } from './live-switch';

/** Users and audit rows listed by `GET /api/admin/rollout`. */
const USERS_LIMIT = 500;
const AUDIT_LIMIT = 50;

const doc = { tags: ['admin'], security: SIGNED_IN };
const notFound = (what: string) => new AppError('NOT_FOUND', 404, `No such ${what}`);

/**
 * The live rollout's controls (docs/operations.md "Rolling out live updates"). Who may change what:
 * - an operator: everything (kill switch, percentage, any org's override, any user's opt-in/out);
 * - an org's admin: their org's override and their org's users only (another org's answers 404, as one that does
 *   not exist); the kill switch and the percentage are cluster-wide: 403 FORBIDDEN;
 * - anyone else: 404, as an unknown route (adminOnly).
 * Every change is audited in PostgreSQL and applied to connected sockets on every node at once (LiveSwitch).
 */
export async function rolloutRoutes(plain: FastifyInstance, deps: { db: Db; cookie: CookieSessionDeps; live: LiveSwitch }): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { db, live } = deps;
  app.addHook('onRequest', adminOnly(app, { db, cookie: deps.cookie }));
  const orgOf = (scope: AdminScope) => (scope.kind === 'org' ? scope.orgId : undefined);
  const actorOf = (request: FastifyRequest) => ({ id: request.user.id, username: request.user.username });
  const applied = async (request: FastifyRequest, changes: RolloutChange[]) => {
    if (changes.length > 0) {
      request.log.info({ changes, by: request.user.username }, 'live rollout changed');
      await live.changed();
    }
    return { changes };
  };

  app.get(
    '/api/admin/rollout',
    {
      schema: {
        ...doc,
        description:
          "Admins: the live rollout (kill switch, percentage, org overrides, users' opt-in/out and decision), how many users " +
          'are live and polling, the latest changes. An org admin sees their org only.',
        response: { 200: RolloutStateResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const scope = adminScope(request);
      const orgId = orgOf(scope);
      const [settings, orgs, users, audit, counts] = await Promise.all([
        readLiveRollout(db),
        listRolloutOrgs(db, { orgId }),
        listRolloutUsers(db, { orgId }, USERS_LIMIT),
        listRolloutAudit(db, { orgId }, AUDIT_LIMIT),
        live.counts(orgId),
      ]);
      return {
        scope: scope.kind,
        ...settings,
        orgs,
        users: users.map(({ decision, ...u }) => ({ ...u, live: decision.live, reason: decision.reason })),
        counts,
        audit: audit.map((a) => ({ ...a, at: a.at.toISOString() })),
      };
    },
  );

  app.put(
    '/api/admin/rollout',
    {
      schema: {
        ...doc,
        description: 'Operators only (403 to an org admin): the kill switch (`enabled`) and/or the percentage of users (0–100).',
        body: RolloutGlobalBody,
        response: { 200: RolloutChangedResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      if (adminScope(request).kind !== 'cluster')
        throw new AppError('FORBIDDEN', 403, "The kill switch and the percentage are the cluster's: only an operator changes them");
      return applied(request, await setLiveRollout(db, actorOf(request), request.body));
    },
  );

  app.put(
    '/api/admin/rollout/orgs/:orgId',
    {
      schema: {
        ...doc,
        description: "Operators, or the org's admin: force the org live (`on`), polling (`off`), or back to the percentage (`inherit`).",
        params: OrgIdParams,
        body: RolloutOrgBody,
        response: { 200: RolloutChangedResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { orgId } = request.params;
      const own = orgOf(adminScope(request));
      if (own !== undefined && own !== orgId) throw notFound('org');
      const value = { on: true, off: false, inherit: null }[request.body.live];
      const changes = await setOrgLiveOverride(db, actorOf(request), orgId, value);
      if (!changes) throw notFound('org');
      return applied(request, changes);
    },
  );

  app.put(
    '/api/admin/rollout/users/:userId',
    {
      schema: {
        ...doc,
        description:
          "Operators, or the admin of the user's org: opt the user in (`in`), out (`out`), or back to their org's rule (`inherit`).",
        params: UserIdParams,
        body: RolloutUserBody,
        response: { 200: RolloutChangedResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { userId } = request.params;
      const own = orgOf(adminScope(request));
      if (own !== undefined) {
        const target = await db.selectFrom('users').select('orgId').where('id', '=', userId).executeTakeFirst();
        // Another org's user is answered as one that does not exist: ids do not leak across orgs.
        if (target?.orgId !== own) throw notFound('user');
      }
      const value = { in: true, out: false, inherit: null }[request.body.live];
      const changes = await setUserLiveOverride(db, actorOf(request), userId, value);
      if (!changes) throw notFound('user');
      return applied(request, changes);
    },
  );
}
