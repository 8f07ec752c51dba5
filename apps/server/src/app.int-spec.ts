import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { AppError } from '@taskflow/platform';
import { createDb } from '@taskflow/store';
import { buildApp } from './app';
import { loadServerConfig } from './config';
import { startTestApp, TEST_JWT_SECRET, TEST_WEBHOOK_SECRET, type TestApp } from './testing/test-app';

let t: TestApp;
let app: FastifyInstance;

beforeAll(async () => {
  t = await startTestApp();
  app = t.app;
  // Probes of this test, hidden from /api/docs (which requires every other route documented).
  const hide = true;
  app.get('/api/test/app-error', { schema: { hide } }, async () => {
    throw AppError.conflict('SOME_CONFLICT', 'That clashes');
  });
  app.get('/api/test/crash', { schema: { hide } }, async () => {
    throw new Error('secret internal detail');
  });
  // What dependencies throw: an LLM SDK's error with the provider's body, GitHub's 500, a PostgreSQL error.
  const dependencyErrors: Record<string, () => Error> = {
    llm: () =>
      Object.assign(new Error('401 Incorrect API key provided: sk-live-SECRET. You can find your API key at ...'), { status: 401 }),
    github: () =>
      Object.assign(new Error('{"message":"Server Error","documentation_url":"https://docs.github.com/rest"} at ghe.internal:8443'), {
        status: 500,
        response: { data: 'ghe stack trace' },
      }),
    database: () => Object.assign(new Error('relation "tasks_secret_shadow" does not exist'), { code: '42P01', severity: 'ERROR' }),
  };
  app.get<{ Params: { kind: string } }>('/api/test/dependency/:kind', { schema: { hide } }, async (request) => {
    throw dependencyErrors[request.params.kind]!();
  });
  // Routes declare TypeBox schemas: the one engine (TypeBox's compiler) checks HTTP and sockets alike.
  app.post('/api/test/validated', { schema: { hide, body: Type.Object({ name: Type.String() }) } }, async () => ({ ok: true }));
  await app.ready();
});
afterAll(() => t.close());

describe('GET /api/health', () => {
  it('answers 200 with the database up', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', checks: { database: 'up' } });
  });

  it('tells the public nothing about the node: no id, user or error counts; the metrics listener has them', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/health' });
    expect(Object.keys(res.json()).sort()).toEqual(['checks', 'status']);
    expect(res.body).not.toContain('test-node');
    const detail = await app.metricsServer.inject({ method: 'GET', url: '/health' });
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({
      status: 'ok',
      node: 'test-node',
      checks: { database: 'up' },
      websocket: { connectedUsers: expect.any(Number), totalErrors: expect.any(Number), connectedSockets: expect.any(Number) },
    });
  });

  it('answers 503 when the database is unreachable', async () => {
    const deadDb = createDb('postgres://postgres:x@127.0.0.1:1/none');
    const config = loadServerConfig({
      DATABASE_URL: 'postgres://127.0.0.1:1/none',
      REDIS_URL: 'redis://127.0.0.1:1',
      JWT_SECRET: TEST_JWT_SECRET,
      GITHUB_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      FEATURE_WEBSOCKET_ENABLED: 'false',
    });
    const broken = await buildApp({ config, db: deadDb, logger: pino({ level: 'silent' }), queue: t.queue });
    try {
      const res = await broken.inject({ method: 'GET', url: '/api/health' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'degraded', checks: { database: 'down' } });
      // A request that needs the database gets a retryable 503, not an internal error.
      const login = await broken.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: 'whatever-1' } });
      expect(login.statusCode).toBe(503);
      expect(login.json()).toMatchObject({ error: 'UNAVAILABLE' });
    } finally {
      await broken.close();
      await deadDb.destroy();
    }
  });
});

describe('error handler', () => {
  it('maps AppError to its status and stable code', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/test/app-error' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ error: 'SOME_CONFLICT', message: 'That clashes' });
  });

  it('hides internal errors behind a 500 with a correlation id, logging the details under it', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/test/crash' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'INTERNAL', message: 'Something went wrong on our side', correlationId: expect.any(String) });
    const { correlationId } = res.json();
    expect(t.logs().find((l) => l.correlationId === correlationId)).toMatchObject({
      level: 50,
      err: { message: 'secret internal detail' },
    });
  });

  it('generates the correlation id itself, whatever X-Request-Id the client sends', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/test/crash', headers: { 'x-request-id': 'forged' } });
    const { correlationId } = res.json();
    expect([res.statusCode, correlationId]).toEqual([
      500,
      expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
    ]);
    expect(t.logs().find((l) => l.correlationId === correlationId)).toMatchObject({ level: 50, reqId: correlationId });
    expect(t.logs().filter((l) => JSON.stringify(l).includes('forged'))).toEqual([]);
  });

  it.each(['llm', 'github', 'database'])('never answers with the %s error text', async (kind) => {
    const res = await app.inject({ method: 'GET', url: `/api/test/dependency/${kind}` });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toMatch(/SECRET|ghe|tasks_secret_shadow|42P01|documentation_url/);
    const body = res.json();
    expect(body).toEqual({ error: 'INTERNAL', message: 'Something went wrong on our side', correlationId: expect.any(String) });
    // Unique per request (not a per-process counter), and the error is in the log under it.
    expect(body.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    const logged = t.logs().find((l) => l.correlationId === body.correlationId);
    expect(JSON.stringify(logged)).toMatch(/SECRET|ghe|tasks_secret_shadow/);
  });

  it('answers schema violations with 400 and the problems', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/test/validated', payload: { nope: 1 } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'VALIDATION_FAILED', details: [expect.objectContaining({ message: expect.any(String) })] });
  });

  it('answers malformed JSON with 400', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/test/validated',
      payload: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toHaveProperty('error');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'NOT_FOUND', message: 'No route for GET /api/nope' });
  });
});

describe('config', () => {
  it('fails fast naming every missing variable', () => {
    let message = '';
    try {
      loadServerConfig({ GITHUB_REPOS: 'not a repo' });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'GITHUB_WEBHOOK_SECRET', 'GITHUB_REPOS'])
      expect(message).toContain(name);
  });
});
