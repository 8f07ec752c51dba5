import { randomBytes } from 'node:crypto';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Cluster } from 'ioredis';
import { Server } from 'socket.io';
import type { ServerEventPayload } from '@taskflow/events';
import { startRedisCluster, type RedisClusterHandle } from '@taskflow/devstack';
import { eventually } from '@taskflow/testing';
import { startShardedSocketServer, type ShardedSocketServer } from '../testing/sharded-socket-server';
import { encodeShardedBroadcast, ShardedRedisBroadcaster, type Broadcast } from './redis.broadcaster';

/**
 * On Redis Cluster our publisher speaks the sharded adapter's protocol (`createShardedAdapter`, dynamic
 * subscriptions) byte for byte: what the adapter itself would SPUBLISH, on the same channel. A real Socket.IO
 * server on that adapter, on a real 3-master cluster, delivers it to the targeted sockets only, once each.
 */
jest.setTimeout(90_000);

const key = `t-io-${randomBytes(4).toString('hex')}`;
let cluster: RedisClusterHandle;
let server: ShardedSocketServer;
let publisherRedis: Cluster;
const received = (name: string) => server.received(name);

const rooms = { a: 'task:a', b: 'task:b', org: 'org:o' };

beforeAll(async () => {
  cluster = await startRedisCluster({ replicasPerMaster: 0, fast: true });
  // As the worker's publisher: fails fast rather than queue while the cluster is away.
  publisherRedis = new Cluster(cluster.nodes, {
    enableOfflineQueue: false,
    redisOptions: { password: cluster.password, commandTimeout: 2000 },
  });
  await new Promise((r) => publisherRedis.once('ready', r));
  server = await startShardedSocketServer(cluster, key);
  await server.clientIn('a', [rooms.a]);
  await server.clientIn('b', [rooms.b]);
  await server.clientIn('org', [rooms.org]);
  await server.clientIn('a+org', [rooms.a, rooms.org]);
  await server.clientIn('nobody', []);
});

afterAll(async () => {
  await server?.close();
  await publisherRedis?.quit();
  await cluster?.stop();
});

const added: ServerEventPayload<'task:event_added'> = {
  taskId: 'c0ffee00-0000-4000-8000-000000000001',
  seq: 7,
  event: { seq: 7, eventType: 'comment_added', createdAt: '2026-01-01T00:00:00.000Z', payload: { n: 1.5, none: null, list: ['é', 2] } },
};

describe('encoding', () => {
  /**
   * What the sharded adapter itself SPUBLISHes for `send`, captured from its publishing client: a Socket.IO
   * server of its own on the adapter, whose clients only record. The adapter signs with its uid, which is returned.
   */
  function adapterPublishes(send: (io: Server) => void): { uid: string; published: Array<{ channel: string; message: Buffer }> } {
    const published: Array<{ channel: string; message: Buffer }> = [];
    const capture = {
      spublish: (channel: string, message: string | Buffer) => {
        published.push({ channel, message: Buffer.from(message) });
        return Promise.resolve(1);
      },
    };
    const quiet = { on: () => undefined, ssubscribe: () => undefined, sunsubscribe: () => undefined };
    const server = new Server({ adapter: createShardedAdapter(capture, quiet, { channelPrefix: key, subscriptionMode: 'dynamic' }) });
    send(server);
    const adapter = server.of('/').adapter as unknown as { uid: string; close(): Promise<void> };
    // No HTTP server to close: its adapter is all it holds.
    void adapter.close();
    const { uid } = adapter;
    return { uid, published };
  }

  const cases: Array<[string, (io: Server) => void, Broadcast, string]> = [
    [
      'a task room',
      (s) => s.to('task:abc').emit('task:event_added', added),
      { room: 'task:abc', event: 'task:event_added', payload: added },
      'task:abc#',
    ],
    ['everyone', (s) => s.emit('task:event_added', added), { event: 'task:event_added', payload: added }, ''],
    [
      'several rooms (one message on the namespace channel)',
      (s) => s.to(['task:abc', 'org:o']).emit('task:event_added', added),
      { room: ['task:abc', 'org:o'], event: 'task:event_added', payload: added },
      '',
    ],
    [
      'a room except another',
      (s) => s.to('org:o').except(['user:u', 'task:abc']).emit('task:event_added', added),
      { room: 'org:o', except: ['user:u', 'task:abc'], event: 'task:event_added', payload: added },
      'org:o#',
    ],
    [
      "a socket's own room (20 characters: the namespace channel)",
      (s) => s.to('AAAAAAAAAAAAAAAAAAAA').emit('task:event_added', added),
      { room: 'AAAAAAAAAAAAAAAAAAAA', event: 'task:event_added', payload: added },
      '',
    ],
  ];

  it.each(cases)('is the adapter’s, byte for byte, for %s', (_name, send, broadcast, room) => {
    const { uid, published } = adapterPublishes(send);
    expect(published).toHaveLength(1);
    const ours = encodeShardedBroadcast(broadcast, key, uid);
    expect(ours.channel).toBe(`${key}#/#${room}`);
    expect(ours.channel).toBe(published[0]!.channel);
    expect(Buffer.compare(ours.message, published[0]!.message)).toBe(0);
  });

  it('signs as the emitter by default, which no adapter takes for its own', () => {
    const ours = JSON.parse(encodeShardedBroadcast({ event: 'task:event_added', payload: added }).message.toString()) as { uid: string };
    expect(ours.uid).toBe('emitter');
  });
});

describe('delivery through a real Socket.IO server with the sharded adapter on Redis Cluster', () => {
  beforeEach(() => {
    for (const name of server.names()) received(name).length = 0;
    server.channels.length = 0;
  });

  async function until(name: string, count: number): Promise<void> {
    await eventually(`${name} to get ${count}`, async () => (received(name).length >= count ? true : undefined));
  }

  it('reaches a task room’s sockets, in order, on the room’s own channel, and no one else', async () => {
    const broadcaster = new ShardedRedisBroadcaster(publisherRedis, key);
    await broadcaster.publish([
      { room: rooms.a, event: 'task:analyzing', payload: { taskId: 'a', seq: 2, status: 'analyzing' } },
      { room: rooms.a, event: 'task:event_added', payload: added },
    ]);
    // Published after: once it arrived in room b, anything wrongly sent to b from the first batch would have too.
    await broadcaster.publish([{ room: rooms.b, event: 'task:coding', payload: { taskId: 'b', seq: 5, status: 'coding' } }]);
    await until('b', 1);
    await until('a', 2);
    await until('a+org', 2);
    const inA = [
      { event: 'task:analyzing', payload: { taskId: 'a', seq: 2, status: 'analyzing' } },
      { event: 'task:event_added', payload: added },
    ];
    expect(received('a')).toEqual(inA);
    expect(received('a+org')).toEqual(inA);
    expect(received('b')).toEqual([{ event: 'task:coding', payload: { taskId: 'b', seq: 5, status: 'coding' } }]);
    expect(received('org')).toEqual([]);
    expect(received('nobody')).toEqual([]);
    // Only the rooms' channels carried them: a node without these rooms would have received nothing.
    expect(server.channels).toEqual([`${key}#/#${rooms.a}#`, `${key}#/#${rooms.a}#`, `${key}#/#${rooms.b}#`]);
  });

  it('delivers a broadcast carrying a trace context exactly as one without (the adapter ignores the field)', async () => {
    const traced = encodeShardedBroadcast(
      { room: rooms.b, event: 'task:coding', payload: { taskId: 'b', seq: 6, status: 'coding' } },
      key,
      'emitter',
      `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
    );
    expect(JSON.parse(traced.message.toString()).data.opts.traceparent).toMatch(/^00-a{32}-b{16}-01$/);
    await publisherRedis.spublish(traced.channel, traced.message);
    await until('b', 1);
    expect(received('b')).toEqual([{ event: 'task:coding', payload: { taskId: 'b', seq: 6, status: 'coding' } }]);
  });

  it('reaches the org room’s sockets and no one else', async () => {
    const counts = { activeCount: 1, completedCount: 0, failedCount: 0, total: 1, scope: 'shared' } as const;
    await new ShardedRedisBroadcaster(publisherRedis, key).publish([
      { room: rooms.org, event: 'dashboard:task_count_changed', payload: counts },
    ]);
    await until('org', 1);
    await until('a+org', 1);
    expect(received('org')).toEqual([{ event: 'dashboard:task_count_changed', payload: counts }]);
    expect(received('a+org')).toEqual([{ event: 'dashboard:task_count_changed', payload: counts }]);
    expect(received('a')).toEqual([]);
    expect(received('nobody')).toEqual([]);
  });

  it('reaches several rooms once each socket, and every socket when no room is named', async () => {
    const broadcaster = new ShardedRedisBroadcaster(publisherRedis, key);
    await broadcaster.publish([{ room: [rooms.a, rooms.org], event: 'task:event_added', payload: added }]);
    // Everyone gets this one after the first: once `nobody` has it, a second copy of the first would have arrived.
    await broadcaster.publish([{ event: 'task:coding', payload: { taskId: 'all', seq: 1, status: 'coding' } }]);
    for (const name of server.names()) await until(name, 1);
    const all = { event: 'task:coding', payload: { taskId: 'all', seq: 1, status: 'coding' } };
    const first = { event: 'task:event_added', payload: added };
    expect(received('a')).toEqual([first, all]);
    expect(received('org')).toEqual([first, all]);
    expect(received('a+org')).toEqual([first, all]);
    expect(received('b')).toEqual([all]);
    expect(received('nobody')).toEqual([all]);
  });

  it('leaves out the sockets of an `except` room', async () => {
    const broadcaster = new ShardedRedisBroadcaster(publisherRedis, key);
    await broadcaster.publish([
      { room: rooms.org, except: [rooms.a], event: 'task:coding', payload: { taskId: 'x', seq: 1, status: 'coding' } },
      { room: rooms.org, event: 'task:coding', payload: { taskId: 'x', seq: 2, status: 'coding' } },
    ]);
    await until('org', 2);
    await until('a+org', 1);
    expect(received('org').map((e) => (e.payload as { seq: number }).seq)).toEqual([1, 2]);
    // The second went to it on the same channel after the first: had the first reached it, it would be here.
    expect(received('a+org').map((e) => (e.payload as { seq: number }).seq)).toEqual([2]);
  });

  it('rejects instead of resolving when Redis did not take the batch', async () => {
    const closed = new Cluster(cluster.nodes, {
      enableOfflineQueue: false,
      lazyConnect: true,
      redisOptions: { password: cluster.password },
    });
    await expect(
      new ShardedRedisBroadcaster(closed, key).publish([
        { room: rooms.a, event: 'task:coding', payload: { taskId: 'a', seq: 3, status: 'coding' } },
      ]),
    ).rejects.toThrow();
    closed.disconnect();
  });
});
