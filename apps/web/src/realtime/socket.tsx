import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { io, type Socket } from 'socket.io-client';
import {
  ackRetryDelayMs,
  LOGIN_REQUIRED_CONNECT_ERRORS,
  RETRYABLE_CONNECT_ERRORS,
  type ClientToServerEvents,
  type ConnectErrorData,
  type ServerToClientEvents,
} from '@taskflow/events';
import { useSession } from '../auth/session';
import { useAppConfig, type Features } from '../config/app-config';
import { keepSessionAlive } from '../auth/use-session-keepalive';
import { useOnlineStatus } from './use-online-status';

export type AppSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
/** After TOO_MANY_SOCKETS (no Retry-After: the user's other sockets must close first), the wait before trying again. */
const LIMIT_RETRY_SECONDS = 30;
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'disabled';
export interface RealtimeState {
  socket: AppSocket | null;
  status: ConnectionStatus;
  /** Which views are live; null while the app's configuration loads. */
  features: Features | null;
}

export const RealtimeContext = createContext<RealtimeState>({ socket: null, status: 'connecting', features: null });

/**
 * One socket per logged-in tab (useWebSocket). Socket.IO reconnects by itself;
 * subscriptions re-join and resync on every `connect`. With the feature flag
 * off there is no socket and the hooks poll the REST API instead. The flags come
 * from AppConfigProvider, which must be above it.
 */
export function RealtimeProvider({
  children,
  url,
}: {
  children: ReactNode;
  /** The gateway; the page's own origin unless given (tests give a server of their own). */ url?: string;
}) {
  const { session, ended, extended } = useSession();
  // The socket lives as long as the login, not as long as one value of the session (its deadline slides).
  const userId = session?.user.id;
  const idleSeconds = session?.idleSeconds ?? 0;
  const online = useOnlineStatus();
  const config = useAppConfig();
  const [socket, setSocket] = useState<AppSocket | null>(null);
  const [connected, setConnected] = useState(false);
  const [everConnected, setEverConnected] = useState(false);

  useEffect(() => {
    if (!userId || !config?.features.websocket) return;
    // tryAllTransports: a browser whose WebSocket upgrade is blocked (a proxy refusing Upgrade) falls back to long-polling.
    // The handshake carries the httpOnly session cookie (same origin): no token in page scripts.
    const options = { transports: ['websocket', 'polling'], tryAllTransports: true, reconnectionDelayMax: 5000 };
    const s: AppSocket = url === undefined ? io(options) : io(url, options);
    let sessionEnded = false;
    let disposed = false;
    /** Handshakes refused in a row, for the backoff of UNAVAILABLE. */
    let refusals = 0;
    const endSession = () => {
      sessionEnded = true;
      ended();
    };
    // Logout in another tab (any node), or the idle time ran out: back to the login page.
    s.on('session:ended', endSession);
    const stopKeepAlive = keepSessionAlive(s, idleSeconds, extended);
    s.on('connect', () => {
      refusals = 0;
      setConnected(true);
      setEverConnected(true);
    });
    s.on('disconnect', (reason) => {
      setConnected(false);
      // After a server-side disconnect socket.io-client does not reconnect by itself: do it (jittered, so the
      // clients of a node that goes away do not all come back at once), unless the session itself ended.
      if (reason === 'io server disconnect' && !sessionEnded)
        setTimeout(() => !disposed && !sessionEnded && s.connect(), 200 + Math.random() * 800);
    });
    s.on('connect_error', (err) => {
      const data = (err as Error & { data?: Partial<ConnectErrorData> }).data;
      if (data?.code !== undefined && LOGIN_REQUIRED_CONNECT_ERRORS.has(data.code)) endSession();
      // Refused for a reason that passes (a per-user limit; the server could not check the session or the limits
      // just now): socket.io-client does not retry a refusal by the server's middleware by itself. Try again later,
      // jittered so the user's tabs do not all return at once.
      if (data?.code !== undefined && RETRYABLE_CONNECT_ERRORS.has(data.code)) {
        refusals += 1;
        const delayMs =
          data.code === 'UNAVAILABLE'
            ? ackRetryDelayMs(refusals)
            : (data.retryAfterSeconds ?? LIMIT_RETRY_SECONDS) * 1000 * (1 + Math.random() / 2);
        // Not while a connection is under way (the page came back online meanwhile): connect() on a socket still
        // connecting sends a second CONNECT, and the server then holds two sockets for this tab.
        setTimeout(() => !disposed && !sessionEnded && !s.active && s.connect(), delayMs);
      }
    });
    s.on('error', (e) => {
      if (e.code === 'TOKEN_EXPIRED') endSession();
    });
    // The socket is this effect's own resource (it opens a connection): handing it to the tree is the effect's result.
    // eslint-disable-next-line react-hooks/set-state-in-effect -- one render per login, it cannot be created during render
    setSocket(s);
    return () => {
      disposed = true;
      stopKeepAlive();
      s.close();
      setSocket(null);
      setConnected(false);
    };
  }, [userId, idleSeconds, config?.features.websocket, ended, extended, url]);

  const status: ConnectionStatus = !config
    ? 'connecting'
    : !config.features.websocket
      ? 'disabled'
      : !online
        ? 'offline'
        : connected
          ? 'connected'
          : everConnected
            ? 'reconnecting'
            : 'connecting';
  // While the browser is offline the socket is closed on purpose; when it is back, a fresh connection
  // re-joins every room and each subscription catches up from its snapshot.
  useEffect(() => {
    if (!socket) return;
    if (!online) socket.disconnect();
    // Only a socket that gave up (closed while offline): connect() on one still connecting sends a second
    // CONNECT once the transport is open, and the server then holds two sockets for this tab.
    else if (!socket.active) socket.connect();
  }, [online, socket]);

  const features = config?.features ?? null;
  const value = useMemo(() => ({ socket, status, features }), [socket, status, features]);
  return <RealtimeContext.Provider value={value}>{children}</RealtimeContext.Provider>;
}

export function useWebSocket(): RealtimeState {
  return useContext(RealtimeContext);
}
