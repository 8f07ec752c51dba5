import { randomBytes } from 'node:crypto';
import type { FastifyInstance, RouteOptions } from 'fastify';
import pino from 'pino';
import { PipelineQueue } from '@taskflow/queue';
import { createStoreFixture, type StoreFixture } from '@taskflow/store/testing';
import { testEnv } from '@taskflow/testing';
import { buildApp } from '../app';
import { loadServerConfig } from '../config';

export const TEST_JWT_SECRET = 'jwt-secret-for-tests-0123456789abcdef';
export const TEST_WEBHOOK_SECRET = 'webhook-secret-for-tests-0123456789';

/** The server app in-process (driven with inject) on a database and queue prefix of its own; not yet `ready()`, so a test may add routes. */
export interface TestApp {
  app: FastifyInstance;
  f: StoreFixture;
  queue: PipelineQueue;
  prefix: string;
  /** The node's Prometheus exposition, from its metrics listener (not the public port). */
  metricsText(): Promise<string>;
  /** Every route as registered (method, url, schema), in order. */
  routes(): readonly RouteOptions[];
  /** What the app logged at warn level and above, as pino's JSON objects. */
  logs(): Array<{ level: number; msg: string; [key: string]: unknown }>;
  close(): Promise<void>;
}

export async function startTestApp(env: NodeJS.ProcessEnv = {}): Promise<TestApp> {
  const f = await createStoreFixture();
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const config = loadServerConfig({
    DATABASE_URL: f.url,
    REDIS_URL: testEnv('TEST_REDIS_URL'),
    JWT_SECRET: TEST_JWT_SECRET,
    GITHUB_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    GITHUB_REPOS: 'acme/payments,acme/web',
    QUEUE_PREFIX: prefix,
    NODE_ID: 'test-node',
    ...env,
  });
  const logged: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line) as { level: number; msg: string }) });
  const queue = PipelineQueue.connect(config.redis, prefix, logger);
  // Wait for Redis so the first request does not meet a connecting queue.
  for (let i = 0; i < 100 && !queue.ready; i++) await new Promise((r) => setTimeout(r, 20));
  const routes: RouteOptions[] = [];
  const app = await buildApp({ config, db: f.db, logger, queue, onRoute: (route) => void routes.push(route) });
  return {
    app,
    f,
    queue,
    prefix,
    logs: () => logged,
    routes: () => routes,
    metricsText: async () => (await app.metricsServer.inject({ method: 'GET', url: '/metrics' })).body,
    async close() {
      await app.close();
      await queue.close();
      await f.close();
    },
  };
}

/** Starts an app listening on a free loopback port; resolves with its base URL. */
export async function listenOnLoopback(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}
