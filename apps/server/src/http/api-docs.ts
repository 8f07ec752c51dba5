import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

const API_DOCS_PATH = '/api/docs';
/**
 * Routes of operators and org admins: described like any route (the check below), but left out of the
 * public document — docs/operations.md lists them for those who run the service.
 */
export const ADMIN_ROUTES_PREFIX = '/api/admin/';

/**
 * The OpenAPI description of every route, generated from the routes' own schemas (those of
 * @taskflow/events), as JSON at /api/docs/json and browsable at /api/docs. Register it before
 * the routes: it collects them as they are added.
 */
export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  // A route is documented or explicitly left out (`hide`: the docs' own pages, the web app's files).
  app.addHook('onRoute', (route) => {
    const schema = route.schema;
    if (schema?.hide) return;
    const missing = [!schema?.description && 'a description', !schema?.response && 'response schemas'].filter(Boolean);
    if (missing.length > 0)
      throw new Error(`${String(route.method)} ${route.url} lacks ${missing.join(' and ')}: document it for /api/docs, or hide it`);
  });
  await app.register(swagger, {
    transform: ({ schema, url }) => ({ schema: url.startsWith(ADMIN_ROUTES_PREFIX) ? { ...schema, hide: true } : schema, url }),
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Taskflow Live API',
        version: '1',
        description:
          'The HTTP half of the contract (the Socket.IO events are in libs/events). Errors answer `{ error, message, details? }` with a stable `error` code.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The token of POST /api/auth/login' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'taskflow_session',
            description: 'The browser session of POST /api/auth/session; writes also need X-CSRF-Token',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: API_DOCS_PATH,
    uiConfig: { docExpansion: 'list', deepLinking: false },
    // Swagger UI's page only loads its own files, but styles some elements inline: its pages (and only
    // those) get a policy of their own allowing inline styles, replacing the app-wide one of helmet.
    staticCSP:
      "default-src 'self'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
      "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  });
}
