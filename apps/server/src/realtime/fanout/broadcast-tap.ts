import { SOCKET_IO_REDIS_KEY } from '@taskflow/events';
import type { RedisClient } from '@taskflow/queue';
import { decodeClusterBroadcast, observeBroadcast, observePacket } from './broadcast-observer';
import type { DashboardSnapshots } from '../rooms/dashboard-snapshots';
import type { RealtimeMetrics } from '../metrics';
import type { TaskflowServer } from '../transport/socket-types';

/** The adapter's channel for a room of the default namespace: `<key>#/#<room>#`. */
const CHANNEL_PREFIX = `${SOCKET_IO_REDIS_KEY}#/#`;

/**
 * Listens to what the adapter's subscriber receives: each broadcast invalidates the
 * dashboard snapshot of its room, and is counted (with its commit → broadcast lag)
 * once per broadcast this node delivers (its room has local sockets), never per socket.
 */
export function tapBroadcasts(
  sub: RedisClient,
  io: TaskflowServer,
  deps: { snapshots: DashboardSnapshots; metrics: RealtimeMetrics },
): void {
  // The classic adapter's pattern subscription (one Redis).
  sub.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, message: Buffer) => {
    const room = channel.toString().slice(CHANNEL_PREFIX.length, -1);
    // Even without local sockets in the room: a socket joining later must not get a snapshot from before it.
    deps.snapshots.changed(room);
    if (room && !io.of('/').adapter.rooms.has(room)) return;
    observeBroadcast(message, deps.metrics);
  });
  // The sharded adapter's channels (a Redis Cluster): a room's own channel, which this node has only while it hosts the
  // room, or the namespace's channel for broadcasts to several rooms (and the adapter's requests, which are no broadcast).
  sub.on('smessageBuffer', (_channel: Buffer, message: Buffer) => {
    const broadcast = decodeClusterBroadcast(message);
    if (!broadcast) return;
    for (const room of broadcast.rooms) deps.snapshots.changed(room);
    const adapterRooms = io.of('/').adapter.rooms;
    if (broadcast.rooms.length > 0 && !broadcast.rooms.some((r) => adapterRooms.has(r))) return;
    observePacket(broadcast.packet, deps.metrics);
  });
}
