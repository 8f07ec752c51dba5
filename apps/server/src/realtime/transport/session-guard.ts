import type { FastifyInstance } from 'fastify';
import type { ClientMessage } from '@taskflow/events';
import { AppError, type Logger } from '@taskflow/platform';
import { readSession, slideSession } from '@taskflow/store';
import { sessionCookieOf, sessionOfCookie, type CookieSessionDeps } from '../../auth/session.cookie';
import { connectRefusal } from './connection-limits';
import { DeadlineQueue } from './expiry-timer';
import type { RealtimeMetrics } from '../metrics';
import { SharedUsers } from '../rooms/shared-users';
import type { TaskflowSocket } from './socket-types';

export interface SessionGuard {
  /** io.use: a Bearer token in `auth.token` (API clients), else the session cookie the browser sent with the handshake. */
  middleware(socket: TaskflowSocket, next: (err?: Error) => void): void;
  /** Ends the socket when its session ends; a cookie session is re-read first (another tab may have slid it). */
  watch(socket: TaskflowSocket): void;
  /** `session:refresh`: slide the session (or take the client's new token) and move the socket's deadline. */
  refresh(socket: TaskflowSocket, message: ClientMessage<'session:refresh'>): Promise<{ expiresAt: string }>;
}

const EXPIRED = 'Session expired: log in again';
/** With TOKEN_VERSION_CACHE_MS 0 (every HTTP check reads the database), a Bearer socket is still re-checked only this often. */
const MIN_TOKEN_RECHECK_MS = 1000;

export function createSessionGuard(
  app: FastifyInstance,
  deps: { cookie: CookieSessionDeps; metrics: RealtimeMetrics; logger: Logger; tokenRecheckMs: number },
): SessionGuard {
  // One timer for every socket's deadline (not one each), and one user object per user: see their modules.
  const deadlines = new DeadlineQueue<TaskflowSocket>((socket) => void onDeadline(socket));
  const users = new SharedUsers();
  // Shared by every socket (EventEmitter calls it with the socket as `this`): no closure per socket.
  function forgetDeadline(this: TaskflowSocket): void {
    deadlines.cancel(this);
  }

  // A Bearer socket's token standing is read once, at the handshake: a revocation broadcast that landed before the
  // socket joined its user's room, or missed its node (whose cache then stays stale), would leave it open until the
  // token expires. So its deadline is also the next standing check, every TOKEN_VERSION_CACHE_MS.
  const recheckMs = Math.max(deps.tokenRecheckMs, MIN_TOKEN_RECHECK_MS);
  const arm = (socket: TaskflowSocket, expiresAt: number) => {
    socket.data.expiresAt = expiresAt;
    const deadline = socket.data.tokenVersion === undefined ? expiresAt : Math.min(expiresAt, Date.now() + recheckMs);
    // A socket that went while its session was re-read must not be held until its deadline.
    if (socket.connected) deadlines.set(socket, deadline);
  };

  /** A Bearer socket's check: true when it may stay (re-armed), false once it was ended (revoked, disabled, gone). */
  async function tokenStillStands(socket: TaskflowSocket, tokenVersion: number): Promise<boolean> {
    try {
      await app.checkTokenStanding(socket.data.user.id, tokenVersion);
      arm(socket, socket.data.expiresAt);
      return true;
    } catch (err) {
      if (!(err instanceof AppError) || err.statusCode >= 500) {
        // The database is unreachable: keep the socket until the next check rather than log everyone out.
        deps.logger.warn({ err, userId: socket.data.user.id }, 'token re-check failed; retrying at the next one');
        arm(socket, socket.data.expiresAt);
        return true;
      }
      const disabled = err.code === 'USER_DISABLED';
      const code = disabled ? 'USER_DISABLED' : 'TOKEN_REVOKED';
      socket.emit('session:ended', { reason: disabled ? 'disabled' : 'signed-out-everywhere' });
      deps.metrics.recordError(code);
      socket.emit('error', { code, message: err.message });
      socket.disconnect(true);
      return false;
    }
  }

  async function onDeadline(socket: TaskflowSocket): Promise<void> {
    const { tokenVersion } = socket.data;
    if (tokenVersion !== undefined && socket.connected && socket.data.expiresAt > Date.now()) {
      await tokenStillStands(socket, tokenVersion);
      return;
    }
    const sessionId = socket.data.user.sessionId;
    if (sessionId && socket.connected) {
      try {
        const live = await readSession(deps.cookie.db, { id: sessionId }, deps.cookie.limits);
        if (live && live.expiresAt.getTime() > Date.now()) return arm(socket, live.expiresAt.getTime());
      } catch (err) {
        // The database is unreachable: keep the socket a little longer rather than log everyone out.
        deps.logger.warn({ err, sessionId }, 'session re-check failed; retrying shortly');
        return arm(socket, Date.now() + 5000);
      }
      socket.emit('session:ended', { reason: 'expired' });
    }
    deps.metrics.recordError('TOKEN_EXPIRED');
    socket.emit('error', { code: 'TOKEN_EXPIRED', message: EXPIRED });
    socket.disconnect(true);
  }

  return {
    middleware(socket, next) {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      if (typeof token === 'string' && token.length > 0) {
        app.verifySession(token).then(
          ({ user, expiresAt, tokenVersion }) => {
            socket.data.user = users.intern(user);
            socket.data.expiresAt = expiresAt;
            socket.data.tokenVersion = tokenVersion;
            // Verified: the socket need not keep its copy of the token (a few hundred bytes) for its whole life.
            delete (socket.handshake.auth as { token?: unknown }).token;
            next();
          },
          (err: unknown) => {
            if (!(err instanceof AppError) || err.statusCode >= 500) {
              deps.logger.warn({ err }, 'token check failed during a handshake');
              // UNAVAILABLE: socket.io-client does not retry a middleware refusal; the code tells clients to.
              return next(connectRefusal('UNAVAILABLE'));
            }
            const code =
              err.code === 'TOKEN_EXPIRED' || err.code === 'TOKEN_REVOKED' || err.code === 'USER_DISABLED' ? err.code : 'INVALID_TOKEN';
            deps.metrics.recordError(code === 'INVALID_TOKEN' ? 'UNAUTHORIZED' : code);
            // `err.data.code`: the stable code socket.io-client hands to `connect_error` (docs/websocket.md).
            next(connectRefusal(code));
          },
        );
        return;
      }
      const cookie = sessionCookieOf(deps.cookie, socket.request, app.parseCookie(socket.handshake.headers.cookie ?? ''));
      if (!cookie) {
        deps.metrics.recordError('UNAUTHORIZED');
        return next(connectRefusal('UNAUTHENTICATED'));
      }
      sessionOfCookie(deps.cookie, cookie).then(
        (session) => {
          const { id, orgId, username, name } = session.user;
          socket.data.user = users.intern({ id, orgId, username, name, sessionId: session.id });
          socket.data.expiresAt = session.expiresAt.getTime();
          next();
        },
        (err: unknown) => {
          if (err instanceof AppError) {
            deps.metrics.recordError(err.code === 'SESSION_EXPIRED' ? 'TOKEN_EXPIRED' : 'UNAUTHORIZED');
            return next(connectRefusal('SESSION_EXPIRED'));
          }
          deps.logger.warn({ err }, 'session lookup failed during a handshake');
          next(connectRefusal('UNAVAILABLE'));
        },
      );
    },

    watch(socket) {
      arm(socket, socket.data.expiresAt);
      socket.on('disconnect', forgetDeadline);
    },

    async refresh(socket, message) {
      const user = socket.data.user;
      if (message.token) {
        let next: Awaited<ReturnType<FastifyInstance['verifySession']>>;
        try {
          next = await app.verifySession(message.token);
        } catch (err) {
          if (err instanceof AppError && (err.code === 'TOKEN_REVOKED' || err.code === 'USER_DISABLED')) throw err;
          throw new AppError('UNAUTHORIZED', 401, 'The new token is not valid');
        }
        if (next.user.id !== user.id) throw new AppError('UNAUTHORIZED', 401, 'The new token belongs to someone else');
        socket.data.tokenVersion = next.tokenVersion;
        arm(socket, next.expiresAt);
        return { expiresAt: new Date(next.expiresAt).toISOString() };
      }
      if (!user.sessionId) throw new AppError('INVALID_PAYLOAD', 400, 'A socket opened with a token refreshes with a new token');
      const session = await readSession(deps.cookie.db, { id: user.sessionId }, deps.cookie.limits);
      const slid = session && (await slideSession(deps.cookie.db, session, deps.cookie.limits));
      if (!slid) throw new AppError('SESSION_EXPIRED', 401, EXPIRED);
      arm(socket, slid.expiresAt.getTime());
      return { expiresAt: slid.expiresAt.toISOString() };
    },
  };
}
