import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { LightSocket } from './light-socket';

/** The generator's (and k6's) framing against a real Socket.IO server, with pings far faster than usual. */
describe('LightSocket against a Socket.IO server', () => {
  let io: Server;
  let url: string;

  beforeAll(async () => {
    const server = http.createServer();
    io = new Server(server, { transports: ['websocket'], pingInterval: 100, pingTimeout: 200 });
    io.use((socket, next) => (socket.handshake.auth?.token === 'good' ? next() : next(new Error('Invalid token'))));
    io.on('connection', (socket) => {
      socket.on('dashboard:join', (data: unknown, ack: (a: unknown) => void) => {
        void socket.join('room');
        ack({ ok: true, data: { echo: data } });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => io.close());

  it('authenticates, gets acks and room broadcasts, and stays connected by answering pings', async () => {
    const events: Array<[string, unknown]> = [];
    let dropped = 0;
    const s = new LightSocket({
      url,
      auth: { token: 'good' },
      timeoutMs: 5000,
      onEvent: (name, payload) => events.push([name, payload]),
      onUnexpectedClose: () => (dropped += 1),
    });
    await s.connect();
    await expect(s.emitWithAck('dashboard:join', { a: 1 })).resolves.toEqual({ ok: true, data: { echo: { a: 1 } } });
    io.to('room').emit('dashboard:task_list_updated', { taskId: 't', seq: 1 });
    // Several ping intervals: a client that did not answer would be dropped after 300 ms.
    await new Promise((r) => setTimeout(r, 800));
    expect(events).toEqual([['dashboard:task_list_updated', { taskId: 't', seq: 1 }]]);
    expect(s.connected).toBe(true);
    expect(dropped).toBe(0);
    s.close();
  });

  it('reports a refused handshake as an error', async () => {
    const s = new LightSocket({ url, auth: { token: 'bad' }, timeoutMs: 5000, onEvent: () => undefined });
    await expect(s.connect()).rejects.toThrow('connect_error: Invalid token');
  });

  it('counts a connection the server drops as an unexpected close', async () => {
    let dropped = 0;
    const s = new LightSocket({
      url,
      auth: { token: 'good' },
      timeoutMs: 5000,
      onEvent: () => undefined,
      onUnexpectedClose: () => (dropped += 1),
    });
    await s.connect();
    for (const socket of io.of('/').sockets.values()) socket.disconnect(true);
    for (const deadline = Date.now() + 5000; dropped === 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
    expect(dropped).toBe(1);
  });

  it('reconnects on purpose (connection:reconnect): a new server socket, acks work, and no unexpected close', async () => {
    let dropped = 0;
    const s = new LightSocket({
      url,
      auth: { token: 'good' },
      timeoutMs: 5000,
      onEvent: () => undefined,
      onUnexpectedClose: () => (dropped += 1),
    });
    await s.connect();
    const before = new Set(io.of('/').sockets.keys());
    await s.reconnect();
    await expect(s.emitWithAck('dashboard:join', {})).resolves.toMatchObject({ ok: true });
    await new Promise((r) => setTimeout(r, 300));
    const after = [...io.of('/').sockets.keys()];
    expect(after.filter((id) => !before.has(id))).toHaveLength(1);
    expect(after.filter((id) => before.has(id))).toEqual([]);
    expect({ connected: s.connected, dropped }).toEqual({ connected: true, dropped: 0 });
    s.close();
  });
});
