import { randomBytes } from 'node:crypto';
import { createStoreFixture, type StoreFixture } from '@taskflow/store/testing';
import { eventually, freePort, spawnApp, testEnv, unhandledRejectionOnSignal, type AppProcess } from '@taskflow/testing';
import { TEST_JWT_SECRET, TEST_WEBHOOK_SECRET } from './testing/test-app';

/**
 * A server node survives an unhandled promise rejection (Node's default is to
 * exit, dropping every socket of the node): it logs it, counts it on /metrics
 * and keeps serving. The rejection is injected by a test-only preload script.
 */
jest.setTimeout(60_000);

let f: StoreFixture;
let server: AppProcess;
let url: string;
let metricsUrl: string;

beforeAll(async () => {
  f = await createStoreFixture();
  const [port, metricsPort] = [await freePort(), await freePort()];
  url = `http://127.0.0.1:${port}`;
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  server = spawnApp(
    'apps/server/src/main.ts',
    unhandledRejectionOnSignal({
      DATABASE_URL: f.url,
      REDIS_URL: testEnv('TEST_REDIS_URL'),
      JWT_SECRET: TEST_JWT_SECRET,
      GITHUB_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort),
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'info',
    }),
  );
  await eventually('server ready', async () => ((await fetch(`${url}/api/ready`).catch(() => undefined))?.ok ? true : undefined), 30_000);
});

afterAll(async () => {
  await server.stop('SIGKILL');
  await f.close();
});

const rejectionsCounted = async () => {
  const text = await (await fetch(metricsUrl)).text();
  return Number(/^taskflow_unhandled_rejections_total (\d+)$/m.exec(text)?.[1]);
};

it('logs and counts an unhandled rejection and keeps serving', async () => {
  expect(await rejectionsCounted()).toBe(0);
  server.proc.kill('SIGUSR2');
  await server.waitForOutput('unhandled promise rejection; carrying on', 10_000);
  expect(server.output()).toContain('test-only unhandled rejection');
  server.proc.kill('SIGUSR2');
  await eventually('the second one counted', async () => ((await rejectionsCounted()) === 2 ? true : undefined), 10_000);
  await new Promise((r) => setTimeout(r, 300));
  expect(server.proc.exitCode).toBeNull();
  expect((await fetch(`${url}/api/health`)).status).toBe(200);
});
