import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import type { ServerConfig } from '../config';

/** The built web app (apps/web/dist), served by every server node, with the app shell for every page path. */
export async function webRoutes(app: FastifyInstance, deps: { config: ServerConfig }): Promise<void> {
  const { config } = deps;
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
