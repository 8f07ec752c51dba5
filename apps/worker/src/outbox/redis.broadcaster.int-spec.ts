import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { SOCKET_IO_REDIS_KEY, type ServerEventPayload, type ServerToClientEvents } from '@taskflow/events';
import { eventually, testEnv } from '@taskflow/testing';
import { closeRedisClient } from '@taskflow/queue';
import { encodeBroadcast, RedisBroadcaster } from './redis.broadcaster';

/**
 * Our publisher speaks the Redis emitter's protocol byte for byte, and a real
 * Socket.IO server with the Redis adapter delivers what it sends to the right
 * room only. A key of the test's own keeps it apart from anything else on Redis.
 */
jest.setTimeout(30_000);

const key = `t-io-${randomBytes(4).toString('hex')}`;
let pub: Redis;
let sub: Redis;
let publisherRedis: Redis;
let http: HttpServer;
let io: Server;
const clients: Socket[] = [];
const received = new Map<string, Array<{ event: string; payload: unknown }>>();

/** A client whose socket the server puts in `room` (none when undefined). */
async function clientIn(name: string, room?: string): Promise<void> {
  const { port } = http.address() as AddressInfo;
  const socket = connect(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    query: room ? { room } : {},
    forceNew: true,
    reconnection: false,
  });
  received.set(name, []);
  socket.onAny((event: string, payload: unknown) => received.get(name)!.push({ event, payload }));
  clients.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
}

beforeAll(async () => {
  pub = new Redis(testEnv('TEST_REDIS_URL'));
  sub = pub.duplicate();
  publisherRedis = new Redis(testEnv('TEST_REDIS_URL'), {
    commandTimeout: 2000,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
  });
  await Promise.all([pub, sub, publisherRedis].map((c) => new Promise((r) => c.once('ready', r))));
  http = createServer();
  io = new Server(http, { adapter: createAdapter(pub, sub, { key }) });
  io.on('connection', (socket) => {
    const room = socket.handshake.query.room;
    if (typeof room === 'string') void socket.join(room);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  await clientIn('a', 'task:a');
  await clientIn('b', 'task:b');
  await clientIn('nobody');
});

afterAll(async () => {
  for (const c of clients) c.close();
  await io.close();
  await Promise.all([pub, sub, publisherRedis].map((c) => closeRedisClient(c)));
});

describe('encoding', () => {
  /** What the emitter itself would publish, captured from its Redis client. */
  function emitterPublishes(send: (emitter: Emitter<ServerToClientEvents>) => void): Array<{ channel: string; message: Buffer }> {
    const published: Array<{ channel: string; message: Buffer }> = [];
    const capture = { publish: (channel: string, message: Buffer) => published.push({ channel, message }) };
    send(new Emitter<ServerToClientEvents>(capture, { key: SOCKET_IO_REDIS_KEY }));
    return published;
  }

  const payload: ServerEventPayload<'task:event_added'> = {
    taskId: 'c0ffee00-0000-4000-8000-000000000001',
    seq: 7,
    event: { seq: 7, eventType: 'comment_added', createdAt: '2026-01-01T00:00:00.000Z', payload: { n: 1.5, none: null, list: ['é', 2] } },
  };

  it('is the emitter’s, byte for byte, for a room', () => {
    const [expected] = emitterPublishes((e) => e.to('task:abc').emit('task:event_added', payload));
    const ours = encodeBroadcast({ room: 'task:abc', event: 'task:event_added', payload });
    expect(ours.channel).toBe(`${SOCKET_IO_REDIS_KEY}#/#task:abc#`);
    expect(ours.channel).toBe(expected!.channel);
    expect(Buffer.compare(ours.message, expected!.message)).toBe(0);
  });

  it('is the emitter’s, byte for byte, for everyone', () => {
    const [expected] = emitterPublishes((e) => e.emit('task:event_added', payload));
    const ours = encodeBroadcast({ event: 'task:event_added', payload });
    expect(ours.channel).toBe(`${SOCKET_IO_REDIS_KEY}#/#`);
    expect(ours.channel).toBe(expected!.channel);
    expect(Buffer.compare(ours.message, expected!.message)).toBe(0);
  });
});

describe('delivery through a real Socket.IO server with the Redis adapter', () => {
  it('reaches the sockets of the room, in order, and no one else', async () => {
    const added: ServerEventPayload<'task:event_added'> = {
      taskId: 'a',
      seq: 2,
      event: { seq: 2, eventType: 'analyzing', createdAt: '2026-01-01T00:00:00.000Z', payload: {} },
    };
    const broadcaster = new RedisBroadcaster(publisherRedis, key);
    await broadcaster.publish([
      { room: 'task:a', event: 'task:analyzing', payload: { taskId: 'a', seq: 2, status: 'analyzing' } },
      { room: 'task:a', event: 'task:event_added', payload: added },
    ]);
    // Published after: once it arrived in room b, anything wrongly sent to b from the first batch would have too.
    await broadcaster.publish([{ room: 'task:b', event: 'task:coding', payload: { taskId: 'b', seq: 5, status: 'coding' } }]);
    await eventually('room b’s broadcast', async () => (received.get('b')!.length > 0 ? true : undefined));
    await eventually('room a’s broadcasts', async () => (received.get('a')!.length === 2 ? true : undefined));
    expect(received.get('a')).toEqual([
      { event: 'task:analyzing', payload: { taskId: 'a', seq: 2, status: 'analyzing' } },
      { event: 'task:event_added', payload: added },
    ]);
    expect(received.get('b')).toEqual([{ event: 'task:coding', payload: { taskId: 'b', seq: 5, status: 'coding' } }]);
    expect(received.get('nobody')).toEqual([]);
  });

  it('reaches every socket when no room is named', async () => {
    const { channel, message } = encodeBroadcast(
      { event: 'dashboard:task_count_changed', payload: { activeCount: 1, completedCount: 0, failedCount: 0, total: 1, scope: 'shared' } },
      key,
    );
    await publisherRedis.publish(channel, message);
    for (const name of ['a', 'b', 'nobody']) {
      await eventually(`${name} to receive it`, async () =>
        received.get(name)!.some((e) => e.event === 'dashboard:task_count_changed') ? true : undefined,
      );
    }
  });

  it('rejects instead of resolving when Redis did not take the batch', async () => {
    const closed = new Redis(testEnv('TEST_REDIS_URL'), { enableOfflineQueue: false, lazyConnect: true });
    await expect(
      new RedisBroadcaster(closed, key).publish([
        { room: 'task:a', event: 'task:coding', payload: { taskId: 'a', seq: 3, status: 'coding' } },
      ]),
    ).rejects.toThrow();
    closed.disconnect();
  });
});
