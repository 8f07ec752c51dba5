import { startTestApp, type TestApp } from '../../testing/test-app';
import { YieldingFanoutAdapter } from './yielding-fanout.adapter';

/** WEBSOCKET_FANOUT_CHUNK reaches the node's Socket.IO adapter: the plain Redis adapter by default (0), the yielding fan-out otherwise. */
jest.setTimeout(60_000);

const apps: TestApp[] = [];
afterAll(async () => {
  await Promise.allSettled(apps.map((t) => t.close()));
});

async function adapterOf(env: NodeJS.ProcessEnv) {
  const t = await startTestApp(env);
  apps.push(t);
  await t.app.ready();
  return t.app.io.of('/').adapter as unknown;
}

it('writes every broadcast at once by default (chunk 0: the plain Redis adapter)', async () => {
  const plain = await adapterOf({});
  expect(plain).not.toBeInstanceOf(YieldingFanoutAdapter);
  expect((plain as { constructor: { name: string } }).constructor.name).toBe('RedisAdapter');
});

it('takes the chunk size from WEBSOCKET_FANOUT_CHUNK', async () => {
  const adapter = await adapterOf({ WEBSOCKET_FANOUT_CHUNK: '256' });
  expect(adapter).toBeInstanceOf(YieldingFanoutAdapter);
  expect((adapter as YieldingFanoutAdapter).chunkSockets).toBe(256);
});
