import { startTestApp, type TestApp } from '../testing/test-app';
import { YieldingFanoutAdapter } from './yielding-fanout.adapter';

/** WEBSOCKET_FANOUT_CHUNK reaches the node's Socket.IO adapter: the yielding fan-out by default, the plain Redis adapter at 0. */
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

it('writes broadcasts in chunks of 256 sockets by default', async () => {
  const adapter = await adapterOf({});
  expect(adapter).toBeInstanceOf(YieldingFanoutAdapter);
  expect((adapter as YieldingFanoutAdapter).chunkSockets).toBe(256);
});

it('takes the chunk size from WEBSOCKET_FANOUT_CHUNK, and 0 turns chunking off', async () => {
  expect(((await adapterOf({ WEBSOCKET_FANOUT_CHUNK: '40' })) as YieldingFanoutAdapter).chunkSockets).toBe(40);
  const plain = await adapterOf({ WEBSOCKET_FANOUT_CHUNK: '0' });
  expect(plain).not.toBeInstanceOf(YieldingFanoutAdapter);
  expect((plain as { constructor: { name: string } }).constructor.name).toBe('RedisAdapter');
});
