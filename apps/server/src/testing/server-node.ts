import { randomBytes } from 'node:crypto';
import { eventually, freePort, spawnApp, testEnv, type AppProcess } from '@taskflow/testing';
import { TEST_JWT_SECRET, TEST_WEBHOOK_SECRET } from './test-app';

export interface ServerNode {
  process: AppProcess;
  url: string;
  metricsUrl: string;
  /** The value of an unlabelled counter or gauge on the node's metrics listener (0 when absent). */
  metric(name: string): Promise<number>;
}

/**
 * A server node as its own process (`apps/server/src/main.ts`) on the given database and the test Redis, with its
 * own queue prefix, port and metrics port; resolves once `/api/ready` answers. `wrapEnv` lets a test add a preload.
 */
export async function startServerNode(
  databaseUrl: string,
  env: NodeJS.ProcessEnv = {},
  wrapEnv: (env: NodeJS.ProcessEnv) => NodeJS.ProcessEnv = (e) => e,
): Promise<ServerNode> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const child = spawnApp(
    'apps/server/src/main.ts',
    wrapEnv({
      DATABASE_URL: databaseUrl,
      REDIS_URL: testEnv('TEST_REDIS_URL'),
      JWT_SECRET: TEST_JWT_SECRET,
      GITHUB_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      METRICS_PORT: String(metricsPort),
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'info',
      ...env,
    }),
  );
  // 3-5 s idle; over 20 s seen on a busy 2-core machine. Callers' beforeAll budgets allow for this deadline.
  await eventually('server ready', async () => ((await fetch(`${url}/api/ready`).catch(() => undefined))?.ok ? true : undefined), 60_000);
  return {
    process: child,
    url,
    metricsUrl,
    async metric(name) {
      const text = await (await fetch(metricsUrl)).text();
      return Number(new RegExp(`^${name} (\\d+(?:\\.\\d+)?)$`, 'm').exec(text)?.[1] ?? 0);
    },
  };
}
