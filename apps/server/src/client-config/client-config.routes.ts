import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ClientConfigResponse } from '@taskflow/events';
import type { ServerConfig } from '../config';
import { ERROR_RESPONSES } from '../http/route-schema';

/** GET /api/config: the public configuration the web app reads at start (feature flags; an org's repositories are GET /api/repos). */
export async function clientConfigRoutes(plain: FastifyInstance, deps: { config: ServerConfig }): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { config } = deps;
  const schema = {
    tags: ['web'],
    description: "The web app's start-up configuration: feature flags.",
    response: { 200: ClientConfigResponse, ...ERROR_RESPONSES },
  };
  app.get('/api/config', { schema }, async () => ({
    features: {
      websocket: config.FEATURE_WEBSOCKET_ENABLED,
      dashboard: config.FEATURE_WEBSOCKET_ENABLED && config.FEATURE_WEBSOCKET_DASHBOARD,
      taskDetail: config.FEATURE_WEBSOCKET_ENABLED && config.FEATURE_WEBSOCKET_TASK_DETAIL,
    },
  }));
}
