import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { StatsResponse } from '@taskflow/events';
import type { HttpRateLimits } from '../http/rate-limits';
import { ERROR_RESPONSES, SIGNED_IN } from '../http/route-schema';
import type { StatsCache } from './stats-cache';

export interface StatsRoutesDeps {
  stats: StatsCache;
  limits: HttpRateLimits;
  perMinute: number;
}

/** GET /api/stats: pipeline statistics over what the user can see, from a short per-org cache. */
export async function statsRoutes(plain: FastifyInstance, deps: StatsRoutesDeps): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('preHandler', app.authenticate);
  const limit = deps.limits.perUser('stats', deps.perMinute, 'statistics requests');
  app.get(
    '/api/stats',
    {
      schema: {
        tags: ['stats'],
        security: SIGNED_IN,
        description: 'Pipeline statistics over the tasks the user can see: overall, per repository, per coding agent.',
        response: { 200: StatsResponse, ...ERROR_RESPONSES },
      },
      preHandler: limit,
    },
    async (request) => deps.stats.get(request.user),
  );
}
