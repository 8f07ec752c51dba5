import { io } from 'socket.io-client';
import { createStoreFixture, FIXTURE_PASSWORD, type StoreFixture } from '@taskflow/store/testing';
import { login, openSocket, type AppProcess, type TestSocket } from '@taskflow/testing';
import { startServerNode, type ServerNode } from '../../testing/server-node';

/**
 * Socket.IO lets a frame name its event with a number (`42[1,{}]`), and a raw
 * client can put anything there. Such frames are unknown events: answered with
 * UNKNOWN_EVENT, counted, never an exception or an unhandled rejection (the
 * node is a process of its own, its counter read off its metrics listener).
 */
jest.setTimeout(60_000);

let f: StoreFixture;
let node: ServerNode;
let server: AppProcess;
let url: string;
let metricsUrl: string;
const open: TestSocket[] = [];

// Starts a server process (up to 60 s on a busy machine, see startServerNode): a budget above that.
beforeAll(async () => {
  f = await createStoreFixture();
  node = await startServerNode(f.url);
  ({ url, metricsUrl } = node);
  server = node.process;
}, 120_000);
afterAll(async () => {
  for (const s of open) s.close();
  await server.stop('SIGKILL');
  await f.close();
});

const metric = async (name: string) => {
  const text = await (await fetch(metricsUrl)).text();
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
};

it('answers numeric event names with UNKNOWN_EVENT, counts them, and leaves no unhandled rejection', async () => {
  const token = await login(url, 'alice', FIXTURE_PASSWORD);
  const s = await openSocket(url, { token });
  open.push(s);
  const emitNumber = (n: number) => s.socket.timeout(5000).emitWithAck(n as unknown as string, { taskId: 'x' });
  expect(await emitNumber(1)).toEqual({ ok: false, error: { code: 'UNKNOWN_EVENT', message: 'Unknown event of type number' } });
  expect(s.of('error')[0]?.payload).toMatchObject({ code: 'UNKNOWN_EVENT' });
  // Without an ack too, and many of them: each answered with an `error` event, none logged one by one.
  const errorsBefore = s.of('error').length;
  for (let i = 0; i < 200; i++) s.socket.emit(i as unknown as string, i);
  await s.waitFor(() => s.of('error').length >= errorsBefore + 200, '200 error events');
  expect(s.socket.connected).toBe(true);
  expect((await s.request('dashboard:join')).ok).toBe(true);

  expect(await metric('taskflow_unhandled_rejections_total')).toBe(0);
  expect(await metric('taskflow_socket_errors_total\\{code="UNKNOWN_EVENT"\\}')).toBeGreaterThanOrEqual(201);
  expect(server.output()).not.toMatch(/socket handler failed|is not a function|unhandled promise rejection/);
  expect(
    server
      .output()
      .split('\n')
      .filter((line) => line.includes('UNKNOWN_EVENT')).length,
  ).toBeLessThan(5);
  expect(server.proc.exitCode).toBeNull();
});

it('drops a raw client whose event name is an object or an array, and only that client', async () => {
  const token = await login(url, 'bob', FIXTURE_PASSWORD);
  const control = await openSocket(url, { token });
  open.push(control);
  for (const name of ['{"toString":1}', '["task:join"]', 'null']) {
    const raw = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise<void>((resolve, reject) => {
      raw.once('connect', () => resolve());
      raw.once('connect_error', reject);
    });
    const dropped = new Promise<string>((resolve) => raw.once('disconnect', (reason) => resolve(reason)));
    // A raw Socket.IO EVENT frame (`42[<name>,<payload>]`) on the engine: the server's parser refuses it.
    raw.io.engine.send(`42[${name},{"taskId":"x"}]`);
    expect(await dropped).toBe('transport close');
    raw.close();
  }
  expect((await control.request('dashboard:join')).ok).toBe(true);
  expect(await metric('taskflow_unhandled_rejections_total')).toBe(0);
  expect(server.proc.exitCode).toBeNull();
});
