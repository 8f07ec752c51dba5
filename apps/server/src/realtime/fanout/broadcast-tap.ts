import type { Redis } from 'ioredis';
import { SOCKET_IO_REDIS_KEY } from '@taskflow/events';
import { observeBroadcast } from './broadcast-observer';
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
export function tapBroadcasts(sub: Redis, io: TaskflowServer, deps: { snapshots: DashboardSnapshots; metrics: RealtimeMetrics }): void {
  sub.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, message: Buffer) => {
    const room = channel.toString().slice(CHANNEL_PREFIX.length, -1);
    // Even without local sockets in the room: a socket joining later must not get a snapshot from before it.
    deps.snapshots.changed(room);
    if (room && !io.of('/').adapter.rooms.has(room)) return;
    observeBroadcast(message, deps.metrics);
  });
}
