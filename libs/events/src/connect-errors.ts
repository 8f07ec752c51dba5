import { CREDENTIAL_ERRORS } from './sessions';

/**
 * Why a socket's handshake was refused: Socket.IO's `connect_error` carries the sentence as `err.message` and
 * the stable code as `err.data.code` (documented in docs/websocket.md). socket.io-client does NOT retry a refusal
 * by the server's middleware (`socket.active` turns false): a client calls `connect()` again itself for the codes
 * that pass (TOO_MANY_SOCKETS, SOCKET_RATE_LIMITED, UNAVAILABLE: RETRYABLE_CONNECT_ERRORS), with backoff.
 */
export const CONNECT_ERRORS = {
  /** No token in `auth` and no session cookie. */
  UNAUTHENTICATED: 'Authentication required: pass auth.token or log in',
  /** Not one of our tokens: bad signature (e.g. JWT_SECRET changed), wrong issuer or audience, garbage. */
  INVALID_TOKEN: 'Invalid token',
  /** The token's `exp` passed. */
  TOKEN_EXPIRED: 'Session expired: log in again',
  /** The browser session of the cookie ended (logged out, expired, signed out everywhere) or is unknown. */
  SESSION_EXPIRED: 'Session expired: log in again',
  /** A token issued before its user signed out everywhere (or was disabled). */
  TOKEN_REVOKED: CREDENTIAL_ERRORS.TOKEN_REVOKED,
  /** An admin disabled the account. */
  USER_DISABLED: CREDENTIAL_ERRORS.USER_DISABLED,
  TOO_MANY_SOCKETS: 'Too many open connections for this user: close some tabs, or wait for them to time out',
  SOCKET_RATE_LIMITED: 'Too many new connections for this user: try again shortly',
  /** The token, session or connection-limit check failed (PostgreSQL or Redis briefly unreachable): not the client's fault. */
  UNAVAILABLE: 'The server could not check this connection just now: try again shortly',
  /** Live updates are not rolled out to this user (docs/operations.md): poll the REST API, ask `/api/config` later. */
  LIVE_OFF: 'Live updates are not enabled for this user: read the REST API instead',
} as const;
export type ConnectErrorCode = keyof typeof CONNECT_ERRORS;

/** The refusals that pass by themselves: a client connects again after a while (the others need a new login). */
export const RETRYABLE_CONNECT_ERRORS: ReadonlySet<string> = new Set<ConnectErrorCode>([
  'TOO_MANY_SOCKETS',
  'SOCKET_RATE_LIMITED',
  'UNAVAILABLE',
]);

/** The refusals that need a new login (show the login page, do not retry): every auth refusal. */
export const LOGIN_REQUIRED_CONNECT_ERRORS: ReadonlySet<string> = new Set<ConnectErrorCode>([
  'UNAUTHENTICATED',
  'INVALID_TOKEN',
  'TOKEN_EXPIRED',
  'SESSION_EXPIRED',
  'TOKEN_REVOKED',
  'USER_DISABLED',
]);

/** The refusals that mean "poll instead": no retry of the socket until the app learns it may go live again. */
export const POLLING_CONNECT_ERRORS: ReadonlySet<string> = new Set<ConnectErrorCode>(['LIVE_OFF']);

/** `err.data` of a refused handshake. */
export interface ConnectErrorData {
  code: ConnectErrorCode;
  /** When a retry may succeed (rate limits only). */
  retryAfterSeconds?: number;
}
