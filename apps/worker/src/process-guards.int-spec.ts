import { randomBytes } from 'node:crypto';
import { createStoreFixture, type StoreFixture } from '@taskflow/store/testing';
import { spawnApp, testEnv, unhandledRejectionOnSignal, type AppProcess } from '@taskflow/testing';

/**
 * A worker survives an unhandled promise rejection (Node's default is to exit
 * mid-job): it logs it with a running count and carries on, and still stops
 * cleanly. The rejection is injected by a test-only preload script.
 */
jest.setTimeout(60_000);

let f: StoreFixture;
let worker: AppProcess;

// Starts a worker process (its ready line can take 30 s on a busy machine): a budget above that.
beforeAll(async () => {
  f = await createStoreFixture();
  worker = spawnApp(
    'apps/worker/src/main.ts',
    unhandledRejectionOnSignal({
      DATABASE_URL: f.url,
      REDIS_URL: testEnv('TEST_REDIS_URL'),
      QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
      LOG_LEVEL: 'info',
    }),
  );
  await worker.waitForOutput('worker ready');
}, 120_000);

afterAll(async () => {
  await worker.stop('SIGKILL');
  await f.close();
});

it('logs and counts an unhandled rejection, keeps running, and still stops cleanly', async () => {
  worker.proc.kill('SIGUSR2');
  await worker.waitForOutput(/"total":1,"msg":"unhandled promise rejection; carrying on"/, 10_000);
  worker.proc.kill('SIGUSR2');
  await worker.waitForOutput(/"total":2,"msg":"unhandled promise rejection; carrying on"/, 10_000);
  expect(worker.output()).toContain('test-only unhandled rejection');
  // Still running a moment later: time for a fatal rejection to have ended the process.
  await new Promise((r) => setTimeout(r, 300));
  expect(worker.proc.exitCode).toBeNull();
  expect(await worker.stop('SIGTERM')).toBe(0);
});
