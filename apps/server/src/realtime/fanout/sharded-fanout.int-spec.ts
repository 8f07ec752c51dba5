import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cluster } from 'ioredis';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { masterOfSlot, startRedisCluster, type RedisClusterHandle, type RedisClusterNodeView } from '@taskflow/devstack';
import { createLogger, redisSettings, type RedisSettings } from '@taskflow/platform';
import { createRedisClient, redisMasters, type RedisClient } from '@taskflow/queue';
import { eventually } from '@taskflow/testing';
import { NodeStatsPublisher, readNodeStats, type NodeStatsSource } from '../../admin/node-stats.publisher';
import { SocketRateLimits } from '../handlers/rate-limit';
import { resyncClientsAfterResubscribe } from './resubscribe';
import { RealtimeMetrics } from '../metrics';
import { ConnectionLimits } from '../transport/connection-limits';
import { createShardedFanoutAdapter, shardedFanoutHooks } from './yielding-fanout.adapter';

/**
 * REDIS_MODE=cluster on a real Redis Cluster (3 masters + 3 replicas from redis-server): two Socket.IO nodes on the
 * sharded adapter in `dynamic` mode, with this app's fan-out hooks (batches), and the server's Redis features whose
 * commands touch several keys.
 */
jest.setTimeout(90_000);

const KEY = 'sharded-test-io';
const WINDOW_MS = 400;
let cluster: RedisClusterHandle;
let settings: RedisSettings;
const closers: Array<() => Promise<unknown> | void> = [];
const writeErrors: unknown[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ fast: true });
  settings = redisSettings({
    REDIS_URL: `redis://:${encodeURIComponent(cluster.password)}@127.0.0.1:${cluster.nodes[0]!.port}`,
    REDIS_MODE: 'cluster',
    REDIS_CLUSTER_NODES: cluster.nodeList,
  });
});

afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await cluster?.stop();
  expect(writeErrors).toEqual([]);
});

function client(extras?: { shardedSubscriber: boolean }): RedisClient {
  const c = createRedisClient(settings, {}, extras);
  closers.push(() => void c.disconnect());
  return c;
}

/** A Socket.IO node as the server builds it in cluster mode; a socket joins the rooms its handshake names. */
async function startNode() {
  const pub = client();
  const sub = client({ shardedSubscriber: true });
  const server = http.createServer();
  const io = new Server(server, {
    transports: ['websocket'],
    adapter: createShardedFanoutAdapter(
      pub,
      sub,
      { channelPrefix: KEY, subscriptionMode: 'dynamic' },
      { chunkSockets: 2, batchWindowMs: WINDOW_MS, onError: (err) => writeErrors.push(err) },
    ),
  });
  resyncClientsAfterResubscribe(sub, io as never, { logger: createLogger('sharded-test', 'silent'), metrics: new RealtimeMetrics() });
  io.on('connection', (socket) => {
    const auth = socket.handshake.auth as { batch?: boolean; rooms?: string[] };
    socket.data.batch = auth.batch === true;
    void socket.join(auth.rooms ?? []);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => io.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, io };
}

interface Client {
  socket: ClientSocket;
  frames: Array<{ event: string; payload: any }>;
}

async function socketOn(url: string, rooms: string[], batch = false): Promise<Client> {
  const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { batch, rooms } });
  const c: Client = { socket, frames: [] };
  socket.onAny((event: string, payload: unknown) => c.frames.push({ event, payload }));
  closers.push(() => void socket.close());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return c;
}

/** How many connections are subscribed (SSUBSCRIBE) to a room's channel, over every master. */
async function roomSubscribers(room: string): Promise<number> {
  const channel = `${KEY}#/#${room}#`;
  const admin = client() as Cluster;
  await new Promise<void>((resolve) => (admin.status === 'ready' ? resolve() : admin.once('ready', () => resolve())));
  let total = 0;
  for (const master of redisMasters(admin)) {
    const reply = (await master.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number];
    total += Number(reply[1]);
  }
  admin.disconnect();
  return total;
}

const unpacked = (c: Client) => c.frames.flatMap((f) => (f.event === 'dashboard:batch' ? (f.payload.items as Client['frames']) : [f]));
const row = (taskId: string, seq: number) => ({ taskId, seq, status: 'coding' });

describe('two server nodes on the sharded adapter', () => {
  let a: Awaited<ReturnType<typeof startNode>>;
  let b: Awaited<ReturnType<typeof startNode>>;

  beforeAll(async () => {
    [a, b] = await Promise.all([startNode(), startNode()]);
  });

  it('carries a broadcast from node A to a socket on node B, batched for a dashboard room and as is for a task room', async () => {
    expect(shardedFanoutHooks(b.io.of('/').adapter)?.batching).toBe(true);
    const batching = await socketOn(b.url, ['org:sharded'], true);
    const plain = await socketOn(b.url, ['org:sharded']);
    const task = await socketOn(b.url, ['task:sharded-1']);
    // B is subscribed to both rooms' channels once the joins are acknowledged by Redis.
    await eventually('B to subscribe to its rooms', async () =>
      (await roomSubscribers('org:sharded')) === 1 && (await roomSubscribers('task:sharded-1')) === 1 ? true : undefined,
    );

    // Three tasks' rows within one window: at most two frames (the first at the end of its turn with whatever that
    // turn brought, the rest at the window's end), and at least one a `dashboard:batch`.
    for (let seq = 1; seq <= 3; seq++) a.io.to('org:sharded').emit('dashboard:task_list_updated' as never, row(`t${seq}`, seq));
    a.io.to('task:sharded-1').emit('task:event_added' as never, { taskId: 'sharded-1', seq: 7 });

    await eventually('the frames on B', async () =>
      unpacked(batching).length === 3 && plain.frames.length === 3 && task.frames.length === 1 ? true : undefined,
    );
    expect(unpacked(batching).map((f) => f.payload.seq)).toEqual([1, 2, 3]);
    expect(batching.frames.length).toBeLessThanOrEqual(2);
    expect(batching.frames.map((f) => f.event)).toContain('dashboard:batch');
    expect(plain.frames.map((f) => f.event)).toEqual(Array(3).fill('dashboard:task_list_updated'));
    expect(task.frames).toEqual([{ event: 'task:event_added', payload: { taskId: 'sharded-1', seq: 7 } }]);
  });

  it('subscribes a node to a room only while it hosts a socket of it (dynamic mode)', async () => {
    const room = 'task:dynamic-1';
    expect(await roomSubscribers(room)).toBe(0);
    const viewer = await socketOn(b.url, [room]);
    // Only B hosts it: one subscription (A would make it two, as the classic adapter's pattern does for every room).
    await eventually('B to subscribe', async () => ((await roomSubscribers(room)) === 1 ? true : undefined));
    a.io.to(room).emit('task:event_added' as never, { taskId: 'dynamic-1', seq: 1 });
    await eventually('the event on B', async () => (viewer.frames.length === 1 ? true : undefined));
    // A second viewer on A: both nodes subscribed; then both leave and the subscriptions go.
    const other = await socketOn(a.url, [room]);
    await eventually('A to subscribe too', async () => ((await roomSubscribers(room)) === 2 ? true : undefined));
    viewer.socket.close();
    other.socket.close();
    await eventually('the subscriptions to go', async () => ((await roomSubscribers(room)) === 0 ? true : undefined));
  });
});

describe("the server's Redis features on a cluster client", () => {
  it('counts one user over two nodes with the socket rate limits (its keys live on the cluster)', async () => {
    const [ra, rb] = [client(), client()];
    const opts = { perSocket: 10, perUser: 3, prefix: 'sharded-test' };
    const [la, lb] = [new SocketRateLimits(ra, opts), new SocketRateLimits(rb, opts)];
    const allowed = [await la.allow('s1', 'u1'), await lb.allow('s2', 'u1'), await la.allow('s1', 'u1'), await lb.allow('s2', 'u1')];
    // Each node's in-memory stand-in alone would allow all four.
    expect(allowed).toEqual([true, true, true, false]);
    expect(await ra.exists('sharded-test:rl-user:u1')).toBe(1);
  });

  it('writes and reads the node snapshots of several nodes (keys in different slots)', async () => {
    const redis = client();
    const source: NodeStatsSource = {
      sockets: () => 4,
      messagesPerSecond: () => 0,
      lagBuckets: () => Promise.resolve([]),
      errors: () => Promise.resolve({}),
      webhooksIgnored: () => Promise.resolve({}),
      webhookBuckets: () => Promise.resolve([]),
      screenBuckets: () => Promise.resolve([]),
    };
    const logger = createLogger('sharded-test', 'silent');
    const publishers = ['node-a', 'node-b', 'node-c'].map(
      (nodeId) => new NodeStatsPublisher(redis, source, { nodeId, prefix: 'sharded-test', intervalMs: 60_000, logger }),
    );
    for (const p of publishers) await p.publish();
    expect((await readNodeStats(redis, 'sharded-test')).map((s) => [s.nodeId, s.sockets])).toEqual([
      ['node-a', 4],
      ['node-b', 4],
      ['node-c', 4],
    ]);
    await publishers[0]!.stop();
    expect((await readNodeStats(redis, 'sharded-test')).map((s) => s.nodeId)).toEqual(['node-b', 'node-c']);
    for (const p of publishers.slice(1)) await p.stop();
  });

  it("keeps several users' open sockets counted: the refresh writes keys in different slots", async () => {
    const redis = client();
    const server = http.createServer();
    const io = new Server(server, { transports: ['websocket'] });
    closers.push(() => io.close());
    const limits = new ConnectionLimits(redis, io as never, {
      maxSocketsPerUser: 1,
      connectsPerMinute: 100,
      prefix: 'sharded-limits',
      nodeId: 'node-a',
      ttlMs: 1500,
      logger: createLogger('sharded-test', 'silent'),
      metrics: new RealtimeMetrics(),
    });
    closers.push(() => limits.close());
    io.use((socket, next) => {
      socket.data.user = { id: (socket.handshake.auth as { user: string }).user };
      next();
    });
    io.use((socket, next) => limits.middleware(socket as never, next));
    io.on('connection', (socket) => {
      limits.admitted(socket as never);
      socket.on('disconnect', () => limits.released(socket as never));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const open = (user: string) => {
      const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { user } });
      closers.push(() => void socket.close());
      return new Promise<{ connected: boolean; code?: string }>((resolve) => {
        socket.once('connect', () => resolve({ connected: true }));
        socket.once('connect_error', (err: Error & { data?: { code?: string } }) => resolve({ connected: false, code: err.data?.code }));
      });
    };
    const users = ['alice', 'bob', 'carol'];
    for (const user of users) expect(await open(user)).toEqual({ connected: true });
    const scores = async () =>
      Promise.all(users.map(async (u) => Number((await redis.zrange(`sharded-limits:sockets:${u}`, 0, -1, 'WITHSCORES'))[1])));
    const first = await scores();
    // Refreshed past the first expiry (refreshes every 500 ms): every user's entry got a later expiry.
    await eventually('the refresh to re-stamp every user', async () => {
      const now = await scores();
      return now.every((score, i) => score > first[i]! && score > Date.now()) ? true : undefined;
    });
    await eventually('the first expiry to pass', async () => (Date.now() > Math.max(...first) ? true : undefined));
    // Still counted: a second socket of the same user is refused.
    expect(await open('alice')).toEqual({ connected: false, code: 'TOO_MANY_SOCKETS' });
  });
});

describe('a slot migrates to another master', () => {
  it("subscribes a node's room again on the new master, tells its sockets to resync, and broadcasts reach them", async () => {
    const [e, f] = await Promise.all([startNode(), startNode()]);
    const admin = client() as Cluster;
    await admin.ping();
    // A room whose channel's slot is among the first thousand of its master's first range: `redis-cli --cluster
    // reshard` moves the lowest slots first, so moving that many moves it.
    let room = '';
    let moved = 0;
    let owner: RedisClusterNodeView | undefined;
    for (let i = 0; !room; i++) {
      const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', `${KEY}#/#task:migrating-${i}#`));
      owner = await masterOfSlot(cluster.nodes, cluster.password, slot);
      const first = owner.ranges[0]!;
      if (slot <= first[1] && slot - first[0] < 1000) [room, moved] = [`task:migrating-${i}`, slot - first[0] + 1];
    }
    const to = (await cluster.masters()).find((m) => m.port !== owner!.port)!;
    const viewer = await socketOn(e.url, [room]);
    await eventually('E to subscribe', async () => ((await roomSubscribers(room)) === 1 ? true : undefined));

    await cluster.reshard({ host: '127.0.0.1', port: owner!.port }, to, moved);
    // Redis ended the subscription on the old master; the node subscribed again on the new one.
    await eventually('E to subscribe on the new master', async () => ((await roomSubscribers(room)) === 1 ? true : undefined), 30_000);
    const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', `${KEY}#/#${room}#`));
    expect((await masterOfSlot(cluster.nodes, cluster.password, slot)).port).toBe(to.port);
    await eventually(
      'sync:required on the socket',
      async () =>
        viewer.frames.some((fr) => fr.event === 'sync:required' && fr.payload.reason === 'subscription_interrupted') ? true : undefined,
      30_000,
    );
    f.io.to(room).emit('task:event_added' as never, { taskId: 'migrated', seq: 1 });
    await eventually('the broadcast after the migration', async () =>
      viewer.frames.some((fr) => fr.event === 'task:event_added' && fr.payload.taskId === 'migrated') ? true : undefined,
    );
  });
});

describe('a master fails over', () => {
  it("tells a node's sockets to resync once its sharded subscriber is back, and broadcasts reach them again", async () => {
    const [c, d] = await Promise.all([startNode(), startNode()]);
    const admin = client() as Cluster;
    await admin.ping();
    // A room whose channel lives on the first master, which is then killed.
    const victim = (await cluster.masters())[0]!;
    let room = '';
    for (let i = 0; !room; i++) {
      const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', `${KEY}#/#task:failover-${i}#`));
      if ((admin.slots[slot] ?? [])[0] === `127.0.0.1:${victim.port}`) room = `task:failover-${i}`;
    }
    const viewer = await socketOn(c.url, [room]);
    await eventually('C to subscribe', async () => ((await roomSubscribers(room)) === 1 ? true : undefined));

    await cluster.killMaster(victim);
    await eventually(
      'sync:required on the socket',
      async () =>
        viewer.frames.some((f) => f.event === 'sync:required' && f.payload.reason === 'subscription_interrupted') ? true : undefined,
      60_000,
    );
    // Resubscribed on the promoted replica: a broadcast from the other node arrives.
    await eventually('C to subscribe on the new master', async () => ((await roomSubscribers(room)) === 1 ? true : undefined), 60_000);
    d.io.to(room).emit('task:event_added' as never, { taskId: 'failover', seq: 1 });
    await eventually('the broadcast after the failover', async () =>
      viewer.frames.some((f) => f.event === 'task:event_added') ? true : undefined,
    );
  });
});
