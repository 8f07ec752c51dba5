import { createStoreFixture, type StoreFixture } from '@taskflow/store/testing';
import { eventually, unhandledRejectionOnSignal, type AppProcess } from '@taskflow/testing';
import { startServerNode } from './testing/server-node';

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

// Starts a server process (up to 60 s on a busy machine, see startServerNode): a budget above that.
beforeAll(async () => {
  f = await createStoreFixture();
  const node = await startServerNode(f.url, {}, unhandledRejectionOnSignal);
  ({ url, metricsUrl } = node);
  server = node.process;
}, 120_000);

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
  // Still running a moment later: time for a fatal rejection to have ended the process.
  await new Promise((r) => setTimeout(r, 300));
  expect(server.proc.exitCode).toBeNull();
  expect((await fetch(`${url}/api/health`)).status).toBe(200);
});
