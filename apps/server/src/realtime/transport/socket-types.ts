import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '@taskflow/events';
import type { SessionUser } from '../../auth/auth.plugin';

interface SocketData {
  user: SessionUser;
  expiresAt: number;
  /** A Bearer socket's token version (`ver`), re-checked every TOKEN_VERSION_CACHE_MS; absent for a cookie socket. */
  tokenVersion?: number;
  /** Joined its dashboard with `batch: true`: dashboard events may reach it packed in `dashboard:batch`. */
  batch?: boolean;
}

/** Between server nodes (`io.serverSideEmit`, through the Redis adapter). */
interface ServerSideEvents {
  /** A user's tokens were revoked or the account disabled: drop the cached token standing now, not at its expiry. */
  'auth:forget': (userId: string) => void;
  /** The live rollout changed (rollout/live-switch.ts): re-decide for this node's sockets. */
  'rollout:changed': () => void;
}

export type TaskflowServer = Server<ClientToServerEvents, ServerToClientEvents, ServerSideEvents, SocketData>;
export type TaskflowSocket = Socket<ClientToServerEvents, ServerToClientEvents, ServerSideEvents, SocketData>;
