import Fastify from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@taskflow/testing';
import { ADMIN_ROUTES_PREFIX, registerApiDocs } from './api-docs';
import { startTestApp, type TestApp } from '../testing/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
  await t.app.ready();
});
afterAll(() => t.close());

/** Every method and URL the router holds, read from its printed tree (a child's segment continues its parent's path). */
function registeredRoutes(tree: string): Array<{ method: string; url: string }> {
  const routes: Array<{ method: string; url: string }> = [];
  const pathAt: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([\s│├└─]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const url = (pathAt[depth - 1] ?? '') + m[2]!;
    pathAt[depth] = url;
    for (const method of m[3]?.split(', ') ?? []) routes.push({ method, url });
  }
  return routes;
}

interface OpenApiOperation {
  description?: string;
  responses?: Record<string, { description?: string; content?: unknown }>;
}

describe('/api/docs', () => {
  it('serves Swagger UI under a policy that lets it run, still refusing framing and foreign scripts', async () => {
    const page = await t.app.inject({ url: '/api/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    // Its assets, which the page loads from this origin.
    for (const asset of [...page.body.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]!)) {
      const res = await t.app.inject({ url: asset });
      expect({ asset, status: res.statusCode }).toEqual({ asset, status: 200 });
    }
    // The rest of the app keeps its strict policy.
    expect(String((await t.app.inject({ url: '/api/health' })).headers['content-security-policy'])).not.toContain('unsafe-inline');
  });

  it('describes every public API route, with a description and its responses, and nothing that does not exist', async () => {
    const res = await t.app.inject({ url: '/api/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ openapi: string; paths: Record<string, Record<string, OpenApiOperation>> }>();
    expect(doc.openapi).toMatch(/^3\./);

    // The API: /api/* and /metrics; not the docs' own pages, nor the web app's files and page shell.
    const api = registeredRoutes(t.app.printRoutes({ commonPrefix: false }))
      .filter(({ method, url }) => method !== 'HEAD' && (url.startsWith('/api/') || url === '/metrics') && !url.startsWith('/api/docs'))
      .map(({ method, url }) => `${method} ${url.replace(/:(\w+)/g, '{$1}')}`);
    expect(api.length).toBeGreaterThanOrEqual(25);
    expect(api).toEqual(
      expect.arrayContaining(['POST /api/tasks', 'GET /api/tasks/{id}', 'DELETE /api/auth/session', 'POST /api/admin/jobs/retry']),
    );

    const documented = Object.entries(doc.paths).flatMap(([url, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${url}`),
    );
    // Admin routes are left out (docs/operations.md lists them: see the next test); every other route is in.
    const isAdmin = (route: string) => route.split(' ')[1]!.startsWith(ADMIN_ROUTES_PREFIX);
    expect(documented.filter(isAdmin)).toEqual([]);
    expect([...documented].sort()).toEqual([...new Set(api.filter((r) => !isAdmin(r)))].sort());
    for (const [url, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect({ route: `${method} ${url}`, description: Boolean(op.description?.trim()) }).toEqual({
          route: `${method} ${url}`,
          description: true,
        });
        // Its answers by status (a route's own ones, not only the shared error shape; /metrics only ever answers 404).
        const own = Object.keys(op.responses ?? {}).filter((status) => /^\d{3}$/.test(status));
        expect({ route: `${method} ${url}`, answers: own.length > 0 }).toEqual({ route: `${method} ${url}`, answers: true });
      }
    }
  });

  it('leaves the admin routes out of the public document, and docs/operations.md lists each of them', async () => {
    const doc = (await t.app.inject({ url: '/api/docs/json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths).filter((url) => url.startsWith('/api/admin'))).toEqual([]);
    expect(JSON.stringify(doc)).not.toMatch(/\/api\/admin/);
    const admin = registeredRoutes(t.app.printRoutes({ commonPrefix: false }))
      .filter(({ method, url }) => method !== 'HEAD' && url.startsWith(ADMIN_ROUTES_PREFIX))
      .map(({ method, url }) => `${method} ${url}`);
    expect(admin).toEqual(expect.arrayContaining(['GET /api/admin/overview', 'POST /api/admin/jobs/retry']));
    const operations = fs.readFileSync(path.join(REPO_ROOT, 'docs/operations.md'), 'utf8');
    for (const route of new Set(admin)) expect({ route, listed: operations.includes(`\`${route}\``) }).toEqual({ route, listed: true });
  });

  it('puts the contract in the description: bodies, parameters and answers', async () => {
    const doc = (await t.app.inject({ url: '/api/docs/json' })).json();
    const create = doc.paths['/api/tasks'].post;
    expect(create.requestBody.content['application/json'].schema.properties.title).toMatchObject({ type: 'string', maxLength: 200 });
    expect(create.responses['202'].content['application/json'].schema.properties.task.properties.id).toMatchObject({ format: 'uuid' });
    expect(create.responses['4XX'] ?? create.responses['4xx']).toBeDefined();
    const get = doc.paths['/api/tasks/{id}'].get;
    expect(get.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'id', required: true })]);
  });
});

describe('an undocumented route', () => {
  it('cannot be registered: it needs a description and responses, or to be hidden', async () => {
    const app = Fastify();
    await registerApiDocs(app);
    expect(() => app.get('/api/undocumented', async () => ({}))).toThrow(/GET \/api\/undocumented lacks a description/);
    expect(() => app.get('/api/no-answer', { schema: { description: 'Says nothing' } }, async () => ({}))).toThrow(/response schemas/);
    expect(() => app.get('/hidden', { schema: { hide: true } }, async () => ({}))).not.toThrow();
    await app.close();
  });
});
