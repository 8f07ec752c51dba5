import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { eventually, redisAdaptersSubscribed, testEnv } from '@taskflow/testing';
import { createFanoutAdapter, YieldingFanoutAdapter } from './yielding-fanout.adapter';

/**
 * The yielding fan-out on real Socket.IO servers sharing a real Redis, with real socket.io-client sockets:
 * broadcasts come from another "node" (a Socket.IO server with the plain Redis adapter, as the cluster's other
 * nodes) and from the node itself. Sockets join the rooms listed in their handshake.
 */
jest.setTimeout(120_000);

/** Each pair of nodes gets adapter channels of its own on the shared Redis. */
const newKey = () => `fanout-test-${randomBytes(4).toString('hex')}`;
const redisClients: Redis[] = [];
const closers: Array<() => Promise<unknown> | void> = [];
/** Socket writes the adapter reported as failed: none expected. */
const writeErrors: unknown[] = [];

function redisPair() {
  const pub = new Redis(testEnv('TEST_REDIS_URL'));
  const sub = pub.duplicate();
  redisClients.push(pub, sub);
  return { pub, sub };
}

interface Node {
  key: string;
  io: Server;
  http: http.Server;
  url: string;
  sub: Redis;
  pub: Redis;
}

/** A node under test: Socket.IO with the fan-out adapter (`chunk` 0: the plain one) and a readiness-like route. */
async function startNode(chunk: number, key: string): Promise<Node> {
  const { pub, sub } = redisPair();
  const server = http.createServer();
  const io = new Server(server, {
    transports: ['websocket'],
    adapter: createFanoutAdapter(pub, sub, { key }, { chunkSockets: chunk, onError: (err) => writeErrors.push(err) }),
  });
  io.on('connection', (socket) => void socket.join((socket.handshake.auth as { rooms: string[] }).rooms));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => io.close());
  return { key, io, http: server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sub, pub };
}

/** Another node of the cluster, with the plain Redis adapter: what it emits reaches the node under test through Redis. */
function otherNode(key: string): Server {
  const { pub, sub } = redisPair();
  const io = new Server({ adapter: createAdapter(pub, sub, { key }) });
  // Never attached to an HTTP server, so there is no engine to close: only its adapter's subscriptions.
  closers.push(() => io.of('/').adapter.close());
  return io;
}

interface Client {
  socket: ClientSocket;
  rooms: string[];
  /** Every `n` event's payload, in the order received. */
  got: Array<{ stream: string; n: number }>;
}

async function connectClients(url: string, roomsOf: (i: number) => string[], count: number): Promise<Client[]> {
  const clients: Client[] = [];
  for (let start = 0; start < count; start += 100) {
    const batch = Array.from({ length: Math.min(100, count - start) }, (_, j) => {
      const rooms = roomsOf(start + j);
      const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { rooms } });
      const client: Client = { socket, rooms, got: [] };
      socket.on('n', (payload: { stream: string; n: number }) => client.got.push(payload));
      closers.push(() => void socket.close());
      return new Promise<Client>((resolve, reject) => {
        socket.once('connect', () => resolve(client));
        socket.once('connect_error', reject);
      });
    });
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

/** Resolves once every socket joined its rooms on `node` (joins happen right after the handshake). */
async function roomsJoined(node: Node, room: string, expected: number): Promise<void> {
  await eventually(`${expected} sockets in ${room}`, async () =>
    node.io.of('/').adapter.rooms.get(room)?.size === expected ? true : undefined,
  );
}

/** The server-side socket of each room member, in the adapter's order (the order a fan-out writes them). */
function membersOf(node: Node, room: string): ServerSocket[] {
  const nsp = node.io.of('/');
  return [...(nsp.adapter.rooms.get(room) ?? [])].map((id) => nsp.sockets.get(id)!);
}

/** The largest backlog of the node's adapter right after each broadcast arrived: proves the fan-out was chunked. */
function watchBacklog(node: Node): { max: number } {
  const seen = { max: 0 };
  const adapter = node.io.of('/').adapter as unknown as YieldingFanoutAdapter;
  // Registered after the adapter's own listener, so it runs right after each broadcast was handled.
  node.sub.on('pmessageBuffer', () => (seen.max = Math.max(seen.max, adapter.pendingWrites)));
  return seen;
}

afterEach(() => expect(writeErrors).toEqual([]));

afterAll(async () => {
  for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
  await Promise.allSettled(redisClients.map((c) => c.quit()));
});

describe('one node with 1,000 sockets and chunks of 25', () => {
  let node: Node;
  let other: Server;
  let clients: Client[];
  // `few` (10 sockets) fits in one chunk: its broadcasts would take the fast path if nothing were queued.
  const roomsOf = (i: number) => ['all', ...(i % 3 === 0 ? ['a'] : i % 3 === 1 ? ['b'] : ['a', 'b']), ...(i < 10 ? ['few'] : [])];

  beforeAll(async () => {
    const key = newKey();
    node = await startNode(25, key);
    other = otherNode(key);
    clients = await connectClients(node.url, roomsOf, 1000);
    await roomsJoined(node, 'all', 1000);
    // The other node's adapter must be subscribed before it publishes (its own acks and requests).
    await redisAdaptersSubscribed(node.pub, node.key, 2);
  });

  beforeEach(() => {
    for (const c of clients) c.got.length = 0;
  });

  it('delivers many quick broadcasts to every socket exactly once, in order', async () => {
    const backlog = watchBacklog(node);
    const N = 60;
    for (let n = 0; n < N; n++) other.to('all').emit('n', { stream: 'remote', n });
    // The node's own emits, while the remote ones are still being written, queue behind them.
    for (let n = 0; n < 10; n++) node.io.to('all').emit('n', { stream: 'local', n });
    await eventually(
      'every socket to receive everything',
      async () => (clients.every((c) => c.got.length === N + 10) ? true : undefined),
      60_000,
    );
    const expected = Array.from({ length: N }, (_, n) => n);
    for (const c of clients) {
      expect(c.got.filter((g) => g.stream === 'remote').map((g) => g.n)).toEqual(expected);
      expect(c.got.filter((g) => g.stream === 'local').map((g) => g.n)).toEqual(expected.slice(0, 10));
    }
    expect(backlog.max).toBeGreaterThan(25);
  });

  it('keeps each socket’s order when broadcasts to different rooms interleave (rooms, both, except)', async () => {
    const targets: Array<{ to: string[]; except?: string }> = [
      { to: ['a'] },
      { to: ['b'] },
      { to: ['a', 'b'] },
      { to: ['a'], except: 'b' },
      { to: ['few'] },
      { to: ['all'] },
    ];
    const sent: Array<{ n: number; to: string[]; except?: string }> = [];
    for (let n = 0; n < 100; n++) {
      const target = targets[n % targets.length]!;
      const op = target.except ? other.to(target.to).except(target.except) : other.to(target.to);
      op.emit('n', { stream: 'mixed', n });
      sent.push({ n, ...target });
    }
    const expectedFor = (rooms: string[]) =>
      sent.filter((s) => s.to.some((r) => rooms.includes(r)) && !(s.except && rooms.includes(s.except))).map((s) => s.n);
    await eventually(
      'every socket to receive its rooms’ broadcasts',
      async () => (clients.every((c) => c.got.length === expectedFor(c.rooms).length) ? true : undefined),
      60_000,
    );
    for (const c of clients) expect(c.got.map((g) => g.n)).toEqual(expectedFor(c.rooms));
  });

  it('writes queued broadcasts before a broadcast with acks, and the acks come back', async () => {
    const order: number[][] = clients.map(() => []);
    clients.forEach((c, i) =>
      c.socket.once('ping-ack', (ack: (answer: string) => void) => {
        order[i]!.push(c.got.length);
        ack('pong');
      }),
    );
    // The node's own broadcast with acks, sent the moment the last of 20 remote broadcasts arrived (most of them still queued), must not overtake them.
    let pendingAtAck = 0;
    const answers = new Promise<string[]>((resolve, reject) => {
      let arrived = 0;
      const onBroadcast = () => {
        if (++arrived < 20) return;
        node.sub.off('pmessageBuffer', onBroadcast);
        pendingAtAck = (node.io.of('/').adapter as unknown as YieldingFanoutAdapter).pendingWrites;
        // A deadline for 1,000 acks from clients in this very process: over 5 s on a busy 2-core machine.
        node.io.timeout(30_000).to('all').emitWithAck('ping-ack').then(resolve, reject);
      };
      node.sub.on('pmessageBuffer', onBroadcast);
    });
    for (let n = 0; n < 20; n++) other.to('all').emit('n', { stream: 'before-ack', n });
    expect(await answers).toHaveLength(1000);
    expect(new Set(await answers)).toEqual(new Set(['pong']));
    expect(pendingAtAck).toBeGreaterThan(0);
    expect(order.every((o) => o.length === 1 && o[0] === 20)).toBe(true);
  });

  it('writes a small room’s broadcast at once when nothing is queued (no added latency)', async () => {
    await eventually('queue empty', async () =>
      (node.io.of('/').adapter as unknown as YieldingFanoutAdapter).pendingWrites === 0 ? true : undefined,
    );
    const member = membersOf(node, 'all')[0]!;
    const solo = `solo-${member.id}`;
    await member.join(solo);
    let written = false;
    member.onAnyOutgoing(() => (written = true));
    await new Promise((resolve) => setImmediate(resolve));
    node.io.to(solo).emit('n', { stream: 'solo', n: 0 });
    // Synchronously, within the emit: not deferred to a later turn.
    expect(written).toBe(true);
  });
});

describe('a request arriving during a large fan-out', () => {
  const SOCKETS = 600;

  /** Sends a readiness-like request as the fan-out starts; says whether it was answered before the fan-out's last write. */
  async function answeredDuringFanout(chunk: number): Promise<{ answeredAt: number; lastWriteAt: number }> {
    const key = newKey();
    const node = await startNode(chunk, key);
    const other = otherNode(key);
    // Like /api/ready: answered after a round trip to Redis.
    let answeredAt = 0;
    node.http.on('request', (req, res) => {
      if (req.url !== '/ready') return;
      void node.pub.ping().then(() => {
        res.end('ok');
        answeredAt = performance.now();
      });
    });
    await connectClients(node.url, () => ['big'], SOCKETS);
    await roomsJoined(node, 'big', SOCKETS);
    await redisAdaptersSubscribed(node.pub, node.key, 2);
    const members = membersOf(node, 'big');
    // Connected beforehand, so that the request's bytes reach the node the moment they are written.
    const probe = net.connect((node.http.address() as AddressInfo).port, '127.0.0.1');
    await new Promise((resolve) => probe.once('connect', resolve));
    const response = new Promise<string>((resolve) => probe.on('data', (d) => resolve(d.toString())));
    let lastWriteAt = 0;
    members[0]!.onAnyOutgoing(() => probe.write('GET /ready HTTP/1.1\r\nHost: x\r\n\r\n'));
    members[members.length - 1]!.onAnyOutgoing(() => (lastWriteAt = performance.now()));
    other.to('big').emit('n', { stream: 'big', n: 0, pad: 'x'.repeat(200) });
    expect(await response).toMatch(/^HTTP\/1\.1 200/);
    await eventually('the fan-out to end', async () => (lastWriteAt > 0 ? true : undefined));
    probe.destroy();
    return { answeredAt, lastWriteAt };
  }

  it('is answered before the fan-out ends when chunked', async () => {
    const { answeredAt, lastWriteAt } = await answeredDuringFanout(20);
    expect(answeredAt).toBeLessThan(lastWriteAt);
  });

  it('waits for the whole fan-out without chunks (chunk 0: the plain adapter)', async () => {
    const { answeredAt, lastWriteAt } = await answeredDuringFanout(0);
    expect(answeredAt).toBeGreaterThan(lastWriteAt);
  });
});
