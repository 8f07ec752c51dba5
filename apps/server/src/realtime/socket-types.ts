import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '@taskflow/events';
import type { SessionUser } from '../auth/auth.plugin';

export interface SocketData {
  user: SessionUser;
  expiresAt: number;
}

export type TaskflowServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type TaskflowSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
