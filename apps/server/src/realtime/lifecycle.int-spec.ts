import WebSocket from 'ws';
import { createStoreFixture, FIXTURE_PASSWORD, type StoreFixture } from '@taskflow/store/testing';
import { eventually, login, openSocket, type AppProcess, type TestSocket } from '@taskflow/testing';
import { startTestApp } from '../testing/test-app';
import { startServerNode } from '../testing/server-node';

/** Node lifecycle and hardening that need a real process or raw frames: drain on SIGTERM, flags, malformed frames. */
jest.setTimeout(60_000);

describe('graceful drain', () => {
  let f: StoreFixture;
  let server: AppProcess;
  let url: string;
  // Starts a server process (up to 60 s on a busy machine, see startServerNode): a budget above that.
  beforeAll(async () => {
    f = await createStoreFixture();
    // Long enough for the checks made during the drain, on a busy machine.
    const node = await startServerNode(f.url, { DRAIN_DELAY_MS: '3000' });
    url = node.url;
    server = node.process;
  }, 120_000);
  afterAll(async () => {
    await server.stop('SIGKILL');
    await f.close();
  });

  it('fails readiness, refuses new sockets, closes existing ones, then exits 0', async () => {
    const token = await login(url, 'alice', FIXTURE_PASSWORD);
    const connected = await openSocket(url, { token });
    const polling = await openSocket(url, { token, transports: ['polling'] });
    const disconnected = new Promise<string>((resolve) => connected.socket.once('disconnect', resolve));
    const pollingDisconnected = new Promise<string>((resolve) => polling.socket.once('disconnect', resolve));
    server.proc.kill('SIGTERM');
    // Within the drain delay, leaving time for the checks below.
    await eventually('readiness to fail', async () => ((await fetch(`${url}/api/ready`)).status === 503 ? true : undefined), 2000);
    const ready = await (await fetch(`${url}/api/ready`)).json();
    expect(ready).toEqual({ ready: false, problems: ['draining'] });
    await expect(openSocket(url, { token })).rejects.toThrow();
    expect(connected.socket.connected).toBe(true); // still served during the delay
    // A closed transport, not a server-side disconnect: socket.io-client reconnects by itself after it.
    expect(await disconnected).toBe('transport close');
    expect(await pollingDisconnected).toBe('transport close');
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
  });
});

describe('feature flags', () => {
  it('FEATURE_WEBSOCKET_ENABLED=false serves no socket endpoint; the REST API still works', async () => {
    const t = await startTestApp({ FEATURE_WEBSOCKET_ENABLED: 'false' });
    try {
      const res = await t.app.inject({ method: 'GET', url: '/socket.io/?EIO=4&transport=polling' });
      expect(res.statusCode).toBe(404);
      expect((await t.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('FEATURE_WEBSOCKET_DASHBOARD / TASK_DETAIL=false refuse those rooms with a clear error', async () => {
    const t = await startTestApp({ FEATURE_WEBSOCKET_DASHBOARD: 'false', FEATURE_WEBSOCKET_TASK_DETAIL: 'false' });
    let s: TestSocket | undefined;
    try {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
      s = await openSocket(url, { token: t.app.signSession({ ...t.f.users.alice }) });
      expect(await s.request('dashboard:join')).toEqual({
        ok: false,
        error: { code: 'FEATURE_DISABLED', message: 'Live dashboard updates are switched off' },
      });
      const { task } = await t.f.newTask(t.f.users.alice);
      expect((await s.request('task:join', { taskId: task.id })).error?.code).toBe('FEATURE_DISABLED');
    } finally {
      s?.close();
      await t.close();
    }
  });
});

describe('malformed frames', () => {
  it('closes a connection that sends garbage, and keeps serving others', async () => {
    const t = await startTestApp();
    let control: TestSocket | undefined;
    try {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const port = (t.app.server.address() as { port: number }).port;
      const url = `http://127.0.0.1:${port}`;
      control = await openSocket(url, { token: t.app.signSession({ ...t.f.users.bob }) });
      for (const garbage of ['42["task:join",{', '4x', '\u0000\u0001binary?', '2probe'.repeat(3)]) {
        const raw = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
        await new Promise((resolve) => raw.once('open', resolve));
        raw.send('40{"token":"nope"}');
        raw.send(garbage);
        await new Promise<void>((resolve) => {
          raw.once('close', () => resolve());
          setTimeout(() => {
            raw.terminate();
            resolve();
          }, 2000);
        });
      }
      expect(control.socket.connected).toBe(true);
      expect(await control.request('dashboard:join')).toMatchObject({ ok: true });
      expect((await t.app.inject({ method: 'GET', url: '/api/ready' })).statusCode).toBe(200);
    } finally {
      control?.close();
      await t.close();
    }
  });
});
