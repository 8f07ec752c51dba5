import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Cluster } from 'ioredis';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import type { RedisClusterHandle } from '@taskflow/devstack';
import { eventually } from '@taskflow/testing';

interface Received {
  event: string;
  payload: unknown;
}

/** A Socket.IO server on the sharded Redis adapter (dynamic subscriptions) of a real Redis Cluster, and its clients. */
export interface ShardedSocketServer {
  /** A publishing client of the same cluster (also what the adapter publishes with). */
  pub: Cluster;
  /** Every channel the server's subscriber got a message on, in order. */
  channels: string[];
  /** Connects a client named `name` whose socket the server puts in `rooms`, and resolves once each room's channel is subscribed. */
  clientIn(name: string, rooms: string[]): Promise<void>;
  /** What client `name` received, in order (the live array). */
  received(name: string): Received[];
  /** Names of the clients. */
  names(): string[];
  close(): Promise<void>;
}

export async function startShardedSocketServer(cluster: RedisClusterHandle, channelPrefix: string): Promise<ShardedSocketServer> {
  const client = (extra: { shardedSubscribers?: boolean } = {}) =>
    new Cluster(cluster.nodes, { ...extra, redisOptions: { password: cluster.password } });
  const pub = client();
  const sub = client({ shardedSubscribers: true });
  await Promise.all([pub, sub].map((c) => new Promise((r) => c.once('ready', r))));
  const channels: string[] = [];
  sub.on('smessageBuffer', (channel: Buffer) => channels.push(channel.toString()));
  const http = createServer();
  const io = new Server(http, { adapter: createShardedAdapter(pub, sub, { channelPrefix, subscriptionMode: 'dynamic' }) });
  io.on('connection', (socket) => {
    const wanted = socket.handshake.query.rooms;
    if (typeof wanted === 'string' && wanted) void socket.join(wanted.split(','));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const sockets: Socket[] = [];
  const received = new Map<string, Received[]>();

  /** Resolves once some master has a subscriber on `channel` (the adapter SSUBSCRIBEs a room's channel on its first join). */
  const subscribed = (channel: string) =>
    eventually(`a subscriber on ${channel}`, async () => {
      const counts = await Promise.all(
        pub.nodes('master').map(async (node) => ((await node.pubsub('SHARDNUMSUB', channel)) as [string, number])[1]),
      );
      return counts.some((n) => n > 0) ? true : undefined;
    });
  await subscribed(`${channelPrefix}#/#`);

  return {
    pub,
    channels,
    received: (name) => received.get(name)!,
    names: () => [...received.keys()],
    async clientIn(name, rooms) {
      const socket = connect(`http://127.0.0.1:${port}`, {
        transports: ['websocket'],
        query: { rooms: rooms.join(',') },
        forceNew: true,
        reconnection: false,
      });
      received.set(name, []);
      socket.onAny((event: string, payload: unknown) => received.get(name)!.push({ event, payload }));
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      for (const room of rooms) await subscribed(`${channelPrefix}#/#${room}#`);
    },
    async close() {
      // The server first: its sockets leave their rooms (SUNSUBSCRIBE) while the subscriber is still up.
      await io.close();
      for (const s of sockets) s.close();
      await Promise.all([pub, sub].map((c) => c.quit()));
    },
  };
}
