import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ClientConfigResponse } from '@taskflow/events';
import fs from 'node:fs';
import path from 'node:path';
import type { ServerConfig } from '../config';
import { ERROR_RESPONSES } from '../http/route-schema';

/**
 * The built web app (apps/web/dist), served by every server node, and the
 * public client configuration it reads at start (feature flags, repositories).
 */
export async function webRoutes(plain: FastifyInstance, deps: { config: ServerConfig }): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { config } = deps;
  const configDoc = { tags: ['web'], description: "The web app's start-up configuration: feature flags and repositories.", response: { 200: ClientConfigResponse, ...ERROR_RESPONSES } };
  app.get('/api/config', { schema: configDoc }, async () => ({
    features: {
      websocket: config.FEATURE_WEBSOCKET_ENABLED,
      dashboard: config.FEATURE_WEBSOCKET_ENABLED && config.FEATURE_WEBSOCKET_DASHBOARD,
      taskDetail: config.FEATURE_WEBSOCKET_ENABLED && config.FEATURE_WEBSOCKET_TASK_DETAIL,
    },
    repos: [...config.repos],
  }));

  const root = path.resolve(config.WEB_DIST_DIR);
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    app.log.info({ root }, 'web app not built; serving the API only');
    return;
  }
  // Files known at start are routes of their own; every other page path gets the app shell.
  await app.register(fastifyStatic, { root, wildcard: false, maxAge: '1h', immutable: false });
  // The page shell is not part of the API: left out of /api/docs.
  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    if (request.url.startsWith('/api/') || request.url.startsWith('/socket.io/')) return reply.callNotFound();
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
}
