import { createContext, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from 'react';
import { TaskflowClient, type ConnectionState, type HttpClient } from '@taskflow/client';
import { api } from '../api/client';
import { useSession } from '../auth/session';
import { useAppConfig, useLiveOff, type Features } from '../config/app-config';
import { keepSessionAlive } from '../auth/use-session-keepalive';
import { useOnlineStatus } from './use-online-status';
import { markFirstLiveFrame } from './first-live-frame';
import { takeStartupClient } from '../boot/startup-requests';

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'disabled';
export interface RealtimeState {
  /** The login's client (null before login, or while the app's configuration loads). */
  client: TaskflowClient | null;
  status: ConnectionStatus;
  /** Which views are live; null while the app's configuration loads. */
  features: Features | null;
  /** The server took this user out of live (`live:off`, LIVE_OFF): the feeds poll until a new client is made. */
  liveOff?: boolean;
}

export const RealtimeContext = createContext<RealtimeState>({ client: null, status: 'connecting', features: null });

/** The feeds read the REST API through the app's own `api`: the CSRF header, and a 401 ends the session. */
export const webHttp: HttpClient = {
  get: (path) => api('GET', path),
  post: (path, body) => api('POST', path, body),
};

/** For a view whose own flag is off while the socket is on: its feeds poll the REST API (no socket of its own). */
const pollingClient = new TaskflowClient({ realtime: false, http: webHttp });

/** A login's client; the page marks its first live frame. */
export function makeClient(realtime: boolean, url?: string): TaskflowClient {
  // No token: the handshake and REST reads carry the httpOnly session cookie (same origin).
  const c = new TaskflowClient({ ...(url === undefined ? {} : { url }), http: webHttp, realtime });
  if (c.socket) markFirstLiveFrame(c.socket);
  return c;
}

const noSubscribe = () => () => undefined;
const noState = (): ConnectionState | null => null;

/** What the header shows for the client's connection state. */
function shownStatus(state: ConnectionState | null, features: Features | null, online: boolean, liveOff: boolean): ConnectionStatus {
  if (!features) return 'connecting';
  if (!features.websocket || liveOff) return 'disabled';
  if (!online) return 'offline';
  switch (state?.status) {
    case 'connected':
    case 'reconnecting':
    case 'offline':
      return state.status;
    default:
      return 'connecting';
  }
}

/**
 * One TaskflowClient (@taskflow/client) per login: it owns the socket, its reconnects and the feeds' joins. With
 * the websocket feature off it has no socket and the feeds poll the REST API instead. The flags come from
 * AppConfigProvider, which must be above it.
 */
export function RealtimeProvider({
  children,
  url,
}: {
  children: ReactNode;
  /** The gateway; the page's own origin unless given (tests give a server of their own). */ url?: string;
}) {
  const { session, ended, extended } = useSession();
  // The client lives as long as the login, not as long as one value of the session (its deadline slides).
  const userId = session?.user.id;
  const idleSeconds = session?.idleSeconds ?? 0;
  const online = useOnlineStatus();
  const config = useAppConfig();
  const realtime = config?.features.websocket;
  const [client, setClient] = useState<TaskflowClient | null>(null);
  const { generation, report } = useLiveOff();

  useEffect(() => {
    if (!userId || realtime === undefined) return;
    const c = (realtime && url === undefined ? takeStartupClient(userId) : undefined) ?? makeClient(realtime, url);
    // The client is this effect's own resource (it opens a connection): handing it to the tree is the effect's result.
    // eslint-disable-next-line react-hooks/set-state-in-effect -- one render per login, it cannot be created during render
    setClient(c);
    return () => {
      c.close();
      setClient(null);
    };
    // `generation`: live again after `live:off` with the flags unchanged, the taken-out client is replaced all the same.
  }, [userId, realtime, url, generation]);

  const state = useSyncExternalStore(client?.subscribe ?? noSubscribe, client?.getSnapshot ?? noState);

  // Logout in another tab (any node), the idle time ran out, the credentials were refused: back to the login page.
  useEffect(() => {
    if (state?.status === 'ended') ended();
  }, [state?.status, ended]);

  // Taken out of the live rollout (`live:off`, or a LIVE_OFF refusal): the feeds poll the REST API at once, and the
  // flags are read again every few seconds until they say live (then a new client connects). If they say polling,
  // the client is made again without a socket.
  const liveOff = state?.status === 'polling' && client?.socket != null;
  useEffect(() => report(liveOff), [liveOff, report]);

  useEffect(() => {
    if (!client?.socket) return;
    return keepSessionAlive(client, idleSeconds, extended);
  }, [client, idleSeconds, extended]);

  // While the browser is offline the socket is closed on purpose; back online, a fresh connection re-joins every
  // room and each feed catches up from its snapshot.
  useEffect(() => client?.setOnline(online), [client, online]);

  const features = config?.features ?? null;
  const status = shownStatus(state, features, online, liveOff);
  const value = useMemo(() => ({ client, status, features, liveOff }), [client, status, features, liveOff]);
  return <RealtimeContext.Provider value={value}>{children}</RealtimeContext.Provider>;
}

export function useWebSocket(): RealtimeState {
  return useContext(RealtimeContext);
}

/**
 * The client a view's feeds use: the login's, or a polling one when the view's own flag is off. Null until there
 * is a client and the flags are known.
 */
export function useFeedClient(view: 'dashboard' | 'taskDetail' | 'notifications'): TaskflowClient | null {
  const { client, features, liveOff } = useWebSocket();
  if (!client || !features) return null;
  if (liveOff) return pollingClient;
  return view === 'notifications' || features[view] ? client : pollingClient;
}
