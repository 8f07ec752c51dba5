import { TaskflowClient } from './client';
import { TaskflowError } from './errors';
import { FakeGateway, refusal, until } from './testing/fake-gateway';

/** The connection policy against a real in-process Socket.IO server. */
let gateway: FakeGateway;
const open: TaskflowClient[] = [];

beforeAll(async () => {
  gateway = await FakeGateway.start();
});
afterAll(async () => {
  await gateway.close();
});
beforeEach(() => {
  gateway.refuse = [];
  gateway.handshakes = 0;
  gateway.joinFailures = [];
});
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

function connect(token?: string): TaskflowClient {
  const client = new TaskflowClient({ url: gateway.url, ...(token ? { token } : {}), socketOptions: { forceNew: true } });
  open.push(client);
  return client;
}

it('connects over WebSocket first, and says so', async () => {
  const client = connect('good');
  expect(client.getSnapshot().status).toBe('connecting');
  await until(() => expect(client.getSnapshot()).toEqual({ status: 'connected', error: undefined }));
  expect(client.socket?.io.engine.transport.name).toBe('websocket');
});

it('ends the session when the handshake refuses the token: TaskflowError with the server code, no retry', async () => {
  const client = connect('bad');
  await until(() => expect(client.getSnapshot().status).toBe('ended'));
  const error = client.getSnapshot().error;
  expect(error).toBeInstanceOf(TaskflowError);
  expect(error).toMatchObject({ code: 'INVALID_TOKEN', message: 'Invalid token' });
  await new Promise((r) => setTimeout(r, 1200));
  expect(gateway.handshakes).toBe(1);
  expect(client.socket!.active).toBe(false);
});

it('does not end the session on a refusal without a login code: tries again with backoff', async () => {
  // A refusal with no code (not our auth, which always sends one), then one whose code this client does not know.
  gateway.refuse = [new Error('proxy said no'), refusal({ code: 'SOMETHING_NEW' })];
  const client = connect('good');
  const seen: string[] = [];
  client.subscribe(() => seen.push(`${client.getSnapshot().status}:${client.getSnapshot().error?.code ?? ''}`));
  await until(() => expect(client.getSnapshot().status).toBe('connected'));
  expect(gateway.handshakes).toBe(3);
  expect(seen).not.toContainEqual(expect.stringMatching(/^ended/));
  expect(seen).toContain('connecting:REFUSED');
});

it('rejects a request at once while disconnected instead of sending it late', async () => {
  const client = connect('good');
  await until(() => expect(client.getSnapshot().status).toBe('connected'));
  client.setOnline(false);
  const joins = gateway.dashboardJoins;
  await expect(client.request('dashboard:join', {})).rejects.toMatchObject({ code: 'DISCONNECTED' });
  client.setOnline(true);
  await until(() => expect(client.getSnapshot().status).toBe('connected'));
  await new Promise((r) => setTimeout(r, 200));
  expect(gateway.dashboardJoins).toBe(joins);
});

it('tries a refusal that passes again with backoff (UNAVAILABLE), then connects', async () => {
  gateway.refuse = [refusal({ code: 'UNAVAILABLE' }), refusal({ code: 'UNAVAILABLE' })];
  const client = connect('good');
  const seen: string[] = [];
  client.subscribe(() =>
    seen.push(`${client.getSnapshot().status}${client.getSnapshot().error ? `:${client.getSnapshot().error!.code}` : ''}`),
  );
  await until(() => expect(client.getSnapshot().status).toBe('connected'));
  expect(gateway.handshakes).toBe(3);
  // Each refusal is told (a new error each time); never 'ended'.
  expect([...new Set(seen)]).toEqual(['connecting:UNAVAILABLE', 'connected']);
});

it('waits retryAfterSeconds after SOCKET_RATE_LIMITED before trying again', async () => {
  gateway.refuse = [refusal({ code: 'SOCKET_RATE_LIMITED', retryAfterSeconds: 1 })];
  const started = Date.now();
  const client = connect('good');
  await until(() => expect(client.getSnapshot().status).toBe('connected'));
  expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  expect(gateway.handshakes).toBe(2);
});

it('ends on session:ended and on a TOKEN_EXPIRED error, and does not come back', async () => {
  for (const end of [
    () => gateway.emitAll('session:ended', { reason: 'logout' }),
    () => gateway.emitAll('error', { code: 'TOKEN_EXPIRED', message: 'Session expired: log in again' }),
  ]) {
    const client = connect('good');
    await until(() => expect(client.getSnapshot().status).toBe('connected'));
    end();
    await until(() => expect(client.getSnapshot().status).toBe('ended'));
    expect(client.getSnapshot().error?.code).toMatch(/SESSION_ENDED|TOKEN_EXPIRED/);
    // The server closes the socket after saying so: no reconnect (a server disconnect is otherwise followed by one).
    const handshakes = gateway.handshakes;
    gateway.sockets.at(-1)!.disconnect(true);
    await new Promise((r) => setTimeout(r, 1200));
    expect(gateway.handshakes).toBe(handshakes);
    expect(client.getSnapshot().status).toBe('ended');
    client.close();
  }
});

it('goes offline on purpose and connects again when back online', async () => {
  const client = connect('good');
  await until(() => expect(client.getSnapshot().status).toBe('connected'));
  client.setOnline(false);
  expect(client.getSnapshot().status).toBe('offline');
  expect(client.connected).toBe(false);
  client.setOnline(true);
  await until(() => expect(client.getSnapshot().status).toBe('connected'));
});

it('answers a request with the typed ack, and TIMEOUT when none comes', async () => {
  const client = connect('good');
  await until(() => expect(client.connected).toBe(true));
  const ack = await client.request('dashboard:join', {});
  expect(ack).toEqual({ ok: true, data: { count: 0 } });
  // The fake gateway does not answer session:refresh.
  await expect(client.request('session:refresh', {}, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'TIMEOUT' });
});

it('stops requestUntilAnswered when asked, and hands over a failure retrying cannot fix', async () => {
  const client = connect('good');
  await until(() => expect(client.connected).toBe(true));
  const answers: unknown[] = [];
  gateway.joinFailures = ['VALIDATION'];
  client.requestUntilAnswered('task:join', { taskId: '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f' }, (ack) => answers.push(ack));
  await until(() => expect(answers).toEqual([{ ok: false, error: { code: 'VALIDATION', message: 'VALIDATION' } }]));
  gateway.joinFailures = ['UNAVAILABLE', 'UNAVAILABLE', 'UNAVAILABLE'];
  const before = gateway.joins;
  const stop = client.requestUntilAnswered('task:join', { taskId: '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f' }, (ack) => answers.push(ack));
  await until(() => expect(gateway.joins).toBe(before + 1));
  stop();
  await new Promise((r) => setTimeout(r, 1200));
  expect(gateway.joins).toBe(before + 1);
  expect(answers).toHaveLength(1);
});

it('has no socket when realtime is off: requests fail with NO_SOCKET', async () => {
  const client = new TaskflowClient({ realtime: false });
  open.push(client);
  expect(client.socket).toBeNull();
  await expect(client.request('dashboard:join', {})).rejects.toMatchObject({ code: 'NO_SOCKET' });
});

it('does nothing after close(): a retry that was due neither sends nor answers (no REST fallback after close)', async () => {
  const client = connect('good');
  await until(() => expect(client.connected).toBe(true));
  const answers: unknown[] = [];
  gateway.joinFailures = ['UNAVAILABLE'];
  const before = gateway.joins;
  const retries: number[] = [];
  client.requestUntilAnswered('task:join', { taskId: '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f' }, (ack) => answers.push(ack), {
    onRetry: (attempt) => retries.push(attempt),
  });
  await until(() => expect(retries).toEqual([1]));
  client.close();
  // The retry was due within 500 ms (ackRetryDelayMs(1)); nothing may happen after it.
  await new Promise((r) => setTimeout(r, 1000));
  expect(answers).toHaveLength(0);
  expect(gateway.joins).toBe(before + 1);
});

it('polls for good once taken out of the live rollout (live:off, or a LIVE_OFF refusal): no reconnect', async () => {
  const client = connect('good');
  await until(() => expect(client.getSnapshot().status).toBe('connected'));
  const handshakes = gateway.handshakes;
  // What the server does: tell, then close the socket (a transport close, which socket.io-client would retry).
  for (const s of gateway.sockets.filter((x) => x.connected)) {
    s.emit('live:off', { reason: 'rollout' });
    s.disconnect(true);
  }
  await until(() => expect(client.getSnapshot()).toMatchObject({ status: 'polling', error: { code: 'LIVE_OFF' } }));
  await new Promise((r) => setTimeout(r, 1200));
  expect(gateway.handshakes).toBe(handshakes);
  expect(client.getSnapshot().status).toBe('polling');

  gateway.refuse = [refusal({ code: 'LIVE_OFF' })];
  const refused = connect('good');
  await until(() => expect(refused.getSnapshot()).toMatchObject({ status: 'polling', error: { code: 'LIVE_OFF' } }));
  await new Promise((r) => setTimeout(r, 1200));
  expect(gateway.handshakes).toBe(handshakes + 1);
});

it('reconnects at once when its node moves it elsewhere (connection:reconnect), well before socket.io-client would', async () => {
  // socket.io-client's own reconnect after a transport close waits about a second (reconnectionDelay): this one must not.
  const client = new TaskflowClient({
    url: gateway.url,
    token: 'good',
    socketOptions: { forceNew: true, reconnectionDelay: 10_000, reconnectionDelayMax: 10_000 },
  });
  open.push(client);
  await until(() => expect(client.getSnapshot().status).toBe('connected'));
  const handshakes = gateway.handshakes;
  const before = client.socket!.id;
  const movedAt = Date.now();
  for (const s of gateway.sockets.filter((x) => x.connected)) s.emit('connection:reconnect', { reason: 'rebalance' });
  await until(() =>
    expect({ handshakes: gateway.handshakes, connected: client.socket!.connected }).toEqual({
      handshakes: handshakes + 1,
      connected: true,
    }),
  );
  expect(Date.now() - movedAt).toBeLessThan(5000);
  expect(client.socket!.id).not.toBe(before);
  // The new handshake says so, for a load balancer that would otherwise follow the old node's sticky cookie.
  expect(gateway.sockets.filter((x) => x.connected).at(-1)!.handshake.query.rebalance).toBe('1');
  expect(client.getSnapshot()).toEqual({ status: 'connected', error: undefined });
  // The old connection is gone from the server: one socket, not two.
  await until(() => expect(gateway.sockets.filter((x) => x.connected)).toHaveLength(1));
});
