import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import type { ServerConfig } from '../config';

/**
 * The built web app (apps/web/dist), served by every server node, and the
 * public client configuration it reads at start (feature flags, repositories).
 */
export async function webRoutes(app: FastifyInstance, deps: { config: ServerConfig }): Promise<void> {
  const { config } = deps;
  app.get('/api/config', async () => ({
    features: {
      websocket: config.FEATURE_WEBSOCKET_ENABLED,
      dashboard: config.FEATURE_WEBSOCKET_ENABLED && config.FEATURE_WEBSOCKET_DASHBOARD,
      taskDetail: config.FEATURE_WEBSOCKET_ENABLED && config.FEATURE_WEBSOCKET_TASK_DETAIL,
    },
    repos: config.repos,
  }));

  const root = path.resolve(config.WEB_DIST_DIR);
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    app.log.info({ root }, 'web app not built; serving the API only');
    return;
  }
  // Files known at start are routes of their own; every other page path gets the app shell.
  await app.register(fastifyStatic, { root, wildcard: false, maxAge: '1h', immutable: false });
  app.get('/*', async (request, reply) => {
    if (request.url.startsWith('/api/') || request.url.startsWith('/socket.io/')) return reply.callNotFound();
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
}
