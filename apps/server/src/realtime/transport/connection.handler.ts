import { rooms } from '@taskflow/events';
import type { Logger } from '@taskflow/platform';
import type { ConnectionLimits } from './connection-limits';
import type { MessageDispatch } from '../handlers/message-dispatch';
import type { RealtimeMetrics } from '../metrics';
import type { Presence } from '../presence/presence';
import type { SessionGuard } from './session-guard';
import { userRooms } from '../rooms/shared-users';
import type { TaskflowSocket } from './socket-types';

export interface ConnectionDeps {
  metrics: RealtimeMetrics;
  logger: Logger;
  session: SessionGuard;
  presence: Presence;
  onMessage: MessageDispatch;
  /** Counts the user's open sockets (their cap is checked in the handshake). */
  connectionLimits: ConnectionLimits;
}

/**
 * An authenticated socket (the session guard's middleware ran): joins its own
 * rooms, ends with its session, routes its frames to the dispatch and leaves
 * presence when it goes.
 */
export function connectionHandler({
  metrics,
  logger,
  session,
  presence,
  onMessage,
  connectionLimits,
}: ConnectionDeps): (socket: TaskflowSocket) => void {
  // Registered on every socket as they are, not as closures per socket (thousands of sockets per node):
  // Socket.IO calls them with the socket as `this`.
  function onFrame(this: TaskflowSocket, event: unknown, ...args: unknown[]): void {
    // Nothing a frame carries may become an unhandled rejection; onMessage answers every expected failure itself.
    onMessage(this, event, args).catch((err: unknown) => {
      metrics.recordError('INTERNAL');
      logger.warn({ err, userId: this.data.user?.id }, 'socket message failed');
    });
  }
  function onDisconnect(this: TaskflowSocket): void {
    metrics.connections.dec();
    connectionLimits.released(this);
    void presence.leaveAll(this).catch((err: unknown) => logger.warn({ err }, 'presence cleanup failed'));
  }

  return (socket) => {
    const user = socket.data.user;
    metrics.connections.inc();
    connectionLimits.admitted(socket);
    void socket.join(userRooms(user).user);
    // All tabs of one browser session share a room: a logout anywhere ends them together.
    if (user.sessionId) void socket.join(rooms.session(user.sessionId));
    // Middleware runs once per connection: a session that ends later must end the socket then.
    session.watch(socket);
    socket.onAny(onFrame);
    socket.on('disconnect', onDisconnect);
  };
}
