import { startTestApp, type TestApp } from '../../testing/test-app';
import { YieldingFanoutAdapter } from './yielding-fanout.adapter';

/**
 * WEBSOCKET_FANOUT_CHUNK, WEBSOCKET_BATCH_WINDOW_MS and WEBSOCKET_MAX_BUFFERED_BYTES reach the node's Socket.IO adapter;
 * with all 0, the plain Redis adapter.
 */
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

it('batches dashboard events and writes every broadcast at once by default', async () => {
  const adapter = await adapterOf({});
  expect(adapter).toBeInstanceOf(YieldingFanoutAdapter);
  expect((adapter as YieldingFanoutAdapter).batching).toBe(true);
  expect((adapter as YieldingFanoutAdapter).chunkSockets).toBe(0);
  // Each socket's outbound buffer is bounded, at 1 MiB.
  expect((adapter as YieldingFanoutAdapter).maxBufferedBytes).toBe(1_048_576);
});

it('is the plain Redis adapter with neither chunks, batches nor a buffer limit', async () => {
  const plain = await adapterOf({ WEBSOCKET_BATCH_WINDOW_MS: '0', WEBSOCKET_MAX_BUFFERED_BYTES: '0' });
  expect(plain).not.toBeInstanceOf(YieldingFanoutAdapter);
  expect((plain as { constructor: { name: string } }).constructor.name).toBe('RedisAdapter');
});

it('takes the chunk size from WEBSOCKET_FANOUT_CHUNK', async () => {
  const adapter = await adapterOf({ WEBSOCKET_FANOUT_CHUNK: '256', WEBSOCKET_BATCH_WINDOW_MS: '0', WEBSOCKET_MAX_BUFFERED_BYTES: '0' });
  expect(adapter).toBeInstanceOf(YieldingFanoutAdapter);
  expect((adapter as YieldingFanoutAdapter).chunkSockets).toBe(256);
  expect((adapter as YieldingFanoutAdapter).batching).toBe(false);
  expect((adapter as YieldingFanoutAdapter).maxBufferedBytes).toBe(0);
});

it('takes the buffer limit from WEBSOCKET_MAX_BUFFERED_BYTES, alone enough for the fan-out adapter', async () => {
  const adapter = await adapterOf({ WEBSOCKET_BATCH_WINDOW_MS: '0', WEBSOCKET_MAX_BUFFERED_BYTES: '65536' });
  expect(adapter).toBeInstanceOf(YieldingFanoutAdapter);
  expect((adapter as YieldingFanoutAdapter).maxBufferedBytes).toBe(65_536);
  expect((adapter as YieldingFanoutAdapter).batching).toBe(false);
});
