import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AddRepoBody, RepoParams, RepoResponse, ReposResponse } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import { addOrgRepo, listOrgRepos, removeOrgRepo, type Db } from '@taskflow/store';
import { isOrgAdmin } from '../admin/admin-access.policy';
import type { HttpRateLimits } from '../http/rate-limits';
import { ERROR_RESPONSES, NO_CONTENT, SIGNED_IN } from '../http/route-schema';

export interface ReposRoutesDeps {
  db: Db;
  limits: HttpRateLimits;
  perMinute: { write: number };
}

const doc = { tags: ['repos'], security: SIGNED_IN };

/**
 * The repositories of the signed-in user's org (org_repos): the only ones its tasks can target, and
 * the only ones whose deliveries move its tasks. Everyone in the org reads them; its admins change them.
 */
export async function reposRoutes(plain: FastifyInstance, deps: ReposRoutesDeps): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps;
  app.addHook('preHandler', app.authenticate);
  const write = deps.limits.perUser('repo-write', deps.perMinute.write, 'repository changes');
  // Decided by the admin policy, from the database: a demotion applies at once; an operator is no org's admin.
  const adminOnly = async (request: FastifyRequest) => {
    if (!(await isOrgAdmin(db, request.user.id, request.user.orgId)))
      throw AppError.forbidden('Only an admin of your organisation can change its repositories');
  };

  app.get(
    '/api/repos',
    {
      schema: {
        ...doc,
        description: "Your organisation's repositories, the only ones a task may target; the default (first registered) first.",
        response: { 200: ReposResponse, ...ERROR_RESPONSES },
      },
    },
    async (request) => ({ repos: await listOrgRepos(db, request.user.orgId) }),
  );

  app.post(
    '/api/repos',
    {
      schema: {
        ...doc,
        description:
          'Register a repository your organisation owns (admins only; 403 otherwise), under a GitHub owner (before the `/`) it owns a repository under already: 403 `REPO_OWNER_NOT_ALLOWED` otherwise (the operator seeds new owners with GITHUB_REPOS). `isPrivate`: it is private on GitHub, so private tasks may go there. 409 `REPO_TAKEN` when an organisation has it already.',
        body: AddRepoBody,
        response: { 201: RepoResponse, ...ERROR_RESPONSES },
      },
      preHandler: [write, adminOnly],
    },
    async (request, reply) =>
      reply.status(201).send({
        repo: await addOrgRepo(db, {
          orgId: request.user.orgId,
          fullName: request.body.fullName,
          isPrivate: request.body.isPrivate ?? false,
        }),
      }),
  );

  app.delete(
    '/api/repos/:owner/:name',
    {
      schema: {
        ...doc,
        description:
          "Remove one of your organisation's repositories (admins only): no new task can target it, and its deliveries no longer move your tasks. 404 when your organisation does not have it.",
        params: RepoParams,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
      preHandler: [write, adminOnly],
    },
    async (request, reply) => {
      const { owner, name } = request.params;
      if (!(await removeOrgRepo(db, request.user.orgId, `${owner}/${name}`))) throw AppError.notFound('Repository not found');
      return reply.status(204).send(null);
    },
  );
}
