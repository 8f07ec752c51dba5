/**
 * Why a socket's handshake was refused: Socket.IO's `connect_error` carries the sentence as `err.message` and
 * the stable code as `err.data.code` (documented in docs/websocket.md). socket.io-client keeps retrying with backoff.
 */
export const CONNECT_ERRORS = {
  TOO_MANY_SOCKETS: 'Too many open connections for this user: close some tabs, or wait for them to time out',
  SOCKET_RATE_LIMITED: 'Too many new connections for this user: try again shortly',
} as const;
export type ConnectErrorCode = keyof typeof CONNECT_ERRORS;

/** `err.data` of a refused handshake. */
export interface ConnectErrorData {
  code: ConnectErrorCode;
  /** When a retry may succeed (rate limits only). */
  retryAfterSeconds?: number;
}
