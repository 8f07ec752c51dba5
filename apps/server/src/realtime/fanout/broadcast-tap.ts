import { Cluster } from 'ioredis';
import { SOCKET_IO_REDIS_KEY } from '@taskflow/events';
import type { RedisClient } from '@taskflow/queue';
import { recordSpan } from '@taskflow/platform';
import { decodeClassicBroadcast, decodeClusterBroadcast, observePacket } from './broadcast-observer';
import type { DashboardSnapshots } from '../rooms/dashboard-snapshots';
import type { RealtimeMetrics } from '../metrics';
import type { TaskflowServer } from '../transport/socket-types';

/** The adapter's channel for a room of the default namespace: `<key>#/#<room>#`. */
const CHANNEL_PREFIX = `${SOCKET_IO_REDIS_KEY}#/#`;

/**
 * Listens to what the adapter's subscriber receives: each broadcast extends (or drops) the dashboard snapshots of
 * its rooms, and is counted (with its commit → broadcast lag) once per broadcast this node delivers (its room has
 * local sockets), never per socket. Every message's bytes are counted too, broadcasts for rooms the node does not
 * host and the adapter's own requests included: what a node pays Redis for, classic adapter or sharded.
 */
export function tapBroadcasts(
  sub: RedisClient,
  io: TaskflowServer,
  deps: { snapshots: DashboardSnapshots; metrics: RealtimeMetrics },
): void {
  const adapterRooms = () => io.of('/').adapter.rooms;
  const bytes = (channel: Buffer, message: Buffer) => deps.metrics.pubSubBytes.inc(channel.length + message.length);
  // The classic adapter's requests and responses between nodes (plain SUBSCRIBE).
  sub.on('messageBuffer', bytes);
  // The classic adapter's pattern subscription (one Redis): a room's channel, or the namespace's for several rooms.
  sub.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, message: Buffer) => {
    bytes(channel, message);
    const broadcast = decodeClassicBroadcast(message);
    if (!broadcast) return;
    const room = channel.toString().slice(CHANNEL_PREFIX.length, -1);
    const targets = broadcast.rooms.length > 0 ? broadcast.rooms : room ? [room] : [];
    // Even without local sockets in the room: a socket joining later must not miss it.
    deps.snapshots.received(targets, broadcast.packet, broadcast.except);
    if (targets.length > 0 && !targets.some((r) => adapterRooms().has(r))) return;
    observePacket(broadcast.packet, deps.metrics);
    if (broadcast.traceParent) traceEmit(broadcast.traceParent, broadcast.packet, targets, adapterRooms());
  });
  // The sharded adapter's channels (a Redis Cluster): a room's own channel, which this node has only while it hosts the
  // room, or the namespace's channel for broadcasts to several rooms (and the adapter's requests, which are no broadcast).
  sub.on('smessageBuffer', (channel: Buffer, message: Buffer) => {
    bytes(channel, message);
    const broadcast = decodeClusterBroadcast(message);
    if (!broadcast) return;
    deps.snapshots.received(broadcast.rooms, broadcast.packet, broadcast.except);
    if (broadcast.rooms.length > 0 && !broadcast.rooms.some((r) => adapterRooms().has(r))) return;
    observePacket(broadcast.packet, deps.metrics);
    if (broadcast.traceParent) traceEmit(broadcast.traceParent, broadcast.packet, broadcast.rooms, adapterRooms());
  });
  // Once its last socket leaves, a node of a Redis Cluster unsubscribes from the room: snapshots relying on it go.
  if (sub instanceof Cluster) io.of('/').adapter.on('delete-room', (room: string) => deps.snapshots.roomDeleted(room));
}

/**
 * The last hop of a traced change (tracing on, the worker's publish span carried in the broadcast; only then is it
 * called, so an untraced broadcast costs one check): this node hands the broadcast to the adapter, which writes it to its sockets in the room(s) right away (in chunks when many).
 */
function traceEmit(traceParent: string, packet: unknown, targets: string[], local: Map<string, Set<string>>): void {
  const event = (packet as { data?: unknown[] } | undefined)?.data?.[0];
  const sockets = targets.reduce((n, r) => n + (local.get(r)?.size ?? 0), 0);
  recordSpan('socket.emit', traceParent, {
    'socket.io.event': typeof event === 'string' ? event : '',
    'socket.io.rooms': targets,
    'socket.io.sockets': sockets,
  });
}
