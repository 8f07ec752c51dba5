import { io, Manager, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import {
  ackRetryDelayMs,
  BATCHED_EVENTS,
  LOGIN_REQUIRED_CONNECT_ERRORS,
  POLLING_CONNECT_ERRORS,
  RETRYABLE_CONNECT_ERRORS,
  shouldRetryAck,
  type Ack,
  type ClientMessage,
  type ClientMessageAck,
  type ClientMessageName,
  type ClientToServerEvents,
  type ServerEventName,
  type ServerEventPayload,
  type ServerToClientEvents,
  type TaskFilter,
} from '@taskflow/events';
import { DashboardFeed, DashboardRoom, type DashboardFeedOptions } from './dashboard-feed';
import { FilteredDashboardFeed } from './filtered-dashboard-feed';
import { TaskflowError } from './errors';
import { fetchHttp, type HttpClient } from './http';
import { NotificationFeed } from './notification-feed';
import { Store } from './store';
import { TaskFeed, type TaskFeedOptions } from './task-feed';
import {
  defaultTransportStorage,
  EARLY_CLOSE_MS,
  TransportFallback,
  type TransportFallbackOptions,
  type TransportStorage,
  type TransportTrace,
} from './transport-fallback';

/** After the session ended, how long the server has to send its last frames and close the socket itself. */
const END_GRACE_MS = 1000;
export type TaskflowSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type Engine = TaskflowSocket['io']['engine'];
export type SocketOptionsOverride = Partial<ManagerOptions & SocketOptions>;

/**
 * `polling`: realtime is off (no socket; the feeds read the REST API every few seconds). `ended`: the session
 * ended or the credentials were refused (log in again); `closed`: `close()` was called.
 */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'ended' | 'closed' | 'polling';
export interface ConnectionState {
  status: ConnectionStatus;
  /** Why the last connection attempt failed, or why the session ended. */
  error?: TaskflowError;
}

export interface TaskflowClientOptions {
  /** The gateway's origin (`http://localhost:3000`); the page's own origin when absent (a browser on the app). */
  url?: string;
  /** A Bearer token (POST /api/auth/login). Without it the handshake and REST reads carry the browser's cookies. */
  token?: string;
  /** How feeds read the REST API; by default `fetch` against `url` with the token (fetchHttp). */
  http?: HttpClient;
  /** false: no socket at all, every feed polls the REST API (the deployment's `websocket` feature off). */
  realtime?: boolean;
  /**
   * Passed to socket.io-client last (extraHeaders, reconnection delays, …). Setting `transports` turns the
   * transport fallback off: the client then keeps to them.
   */
  socketOptions?: SocketOptionsOverride;
  /** Where the WebSocket → long-polling fallback is remembered: `sessionStorage` in a browser, else nowhere. */
  transportStorage?: TransportStorage | null;
  /** Told of the transport fallback's decisions (TransportTrace); `client.transport` holds its state. */
  onTransportTrace?: (trace: TransportTrace) => void;
  /** The fallback's retry of WebSocket: the first wait (ms, doubling while it fails) and its ceiling. */
  transportRetry?: Pick<TransportFallbackOptions, 'retryMs' | 'retryMaxMs'>;
  /** How long a request waits for its ack by default (ms). */
  requestTimeoutMs?: number;
  /** How often feeds read the REST API when they cannot follow live (realtime off, a join failed for good). */
  pollMs?: number;
  /** After a join failed for good, the first wait before a feed tries it again (doubling, at most 10×). */
  rejoinBackoffMs?: number;
}

export interface RequestOptions {
  timeoutMs?: number;
}

/**
 * Stops a requestUntilAnswered: no more attempts, and its answer is dropped. `afterInFlight` runs once the attempt
 * on the wire (if any) has been answered or given up on, at once when none is: what must follow it on the server
 * (a leave after a join) waits for that, as the server handles a socket's messages concurrently.
 */
export type StopRequest = (afterInFlight?: () => void) => void;

export interface UntilAnsweredOptions extends RequestOptions {
  /** Told before each repeat: which attempt failed (1, 2, …) and its answer (undefined: no ack). */
  onRetry?: (attempt: number, error: TaskflowError | undefined) => void;
}

/** After TOO_MANY_SOCKETS with no Retry-After (the user's other sockets must close first), the wait before trying again. */
const LIMIT_RETRY_SECONDS = 30;
const POLL_MS = 5000;
const REJOIN_BACKOFF_MS = 30_000;
/** How long a WebSocket probe may take to open (TransportFallback's retry). */
const PROBE_TIMEOUT_MS = 10_000;
/**
 * WebSocket close codes of a server that closed on purpose with a close frame: 1005 (no status) is what engine.io
 * sends when the server closes the transport (a node draining in a rolling restart), 1000/1001/1012 other servers'.
 * A middlebox that cuts the connection sends no close frame: the client sees 1006.
 */
const SERVER_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1001, 1005, 1012]);

/** The WebSocket close code in an engine `close` event's description, when it carries one. */
function closeCode(description: unknown): number | undefined {
  const context = (description as { context?: { code?: unknown } } | undefined)?.context;
  return typeof context?.code === 'number' ? context.code : undefined;
}

type ReservedEvents = { connect: () => void; disconnect: (reason: Socket.DisconnectReason) => void };

/**
 * One connection to Taskflow Live (docs/websocket.md), and the feeds over it. It owns the reconnect policy the
 * contract asks of clients: after a server-side disconnect (`io server disconnect`, which socket.io-client does
 * not retry) it connects again, jittered, unless the session ended; a handshake refused for a reason that passes
 * (RETRYABLE_CONNECT_ERRORS) is tried again with backoff or after `retryAfterSeconds`; `session:ended`, a
 * TOKEN_EXPIRED `error` and a refused credential end it. Feeds re-join on every connect.
 */
export class TaskflowClient extends Store<ConnectionState> {
  /** null when realtime is off. */
  readonly socket: TaskflowSocket | null;
  readonly http: HttpClient;
  readonly pollMs: number;
  /** After a join failed for good, the first wait before trying it again (then doubling, at most 10×). */
  readonly rejoinBackoffMs: number;
  /** The dashboard room, shared by every dashboard feed of this client (one join, one leave). */
  readonly dashboardRoom: DashboardRoom | null;
  /** Which transport the connection uses and tries first (TransportFallback). */
  readonly transport: TransportFallback;
  private readonly requestTimeoutMs: number;
  private readonly taskFeeds = new Map<string, number>();
  private everConnected = false;
  private online = true;
  private ended = false;
  /** The server took this user out of the live rollout (`live:off`, LIVE_OFF): no socket until a new client is made. */
  private liveOff = false;
  private closed = false;
  private lastError: TaskflowError | undefined;
  /** Handshakes refused in a row, for the backoff. */
  private refusals = 0;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** Listeners of the events a `dashboard:batch` frame carries: each item is handed to them, in the frame's order. */
  private readonly batchListeners = new Map<string, Set<(payload: unknown) => void>>();
  private batchesUnpacked = false;
  /** The engine the connection runs on now, and what is known of its WebSocket (watchEngine). */
  private engineWatch: { engine: Engine; ackAt?: number; serverDisconnected?: boolean } | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Where a WebSocket probe connects, and how (the connection's own options). */
  private probeTarget: { url: string | undefined; options: SocketOptionsOverride } | undefined;
  /** The WebSocket probe under way (an engine without a Socket.IO connection), closed by close(). */
  private probe: Manager | undefined;

  constructor(options: TaskflowClientOptions = {}) {
    super({ status: options.realtime === false ? 'polling' : 'connecting' });
    this.http =
      options.http ?? fetchHttp({ ...(options.url ? { url: options.url } : {}), ...(options.token ? { token: options.token } : {}) });
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.pollMs = options.pollMs ?? POLL_MS;
    this.rejoinBackoffMs = options.rejoinBackoffMs ?? REJOIN_BACKOFF_MS;
    this.transport = new TransportFallback({
      storage: options.transportStorage === undefined ? defaultTransportStorage() : options.transportStorage,
      ...(options.onTransportTrace ? { onTrace: options.onTransportTrace } : {}),
      ...options.transportRetry,
    });
    if (options.realtime === false) {
      this.socket = null;
      this.dashboardRoom = null;
      return;
    }
    // Unless the caller chose the transports: WebSocket first; where it cannot open (a proxy refusing Upgrade),
    // long-polling; long-polling first after WebSocket was cut early twice (TransportFallback).
    const fallback = options.socketOptions?.transports === undefined;
    const socketOptions: SocketOptionsOverride = {
      ...this.transport.engineOptions(),
      tryAllTransports: true,
      // A connection of its own: the fallback sets the transports of this client's engines only.
      forceNew: true,
      reconnectionDelayMax: 5000,
      // The load balancer's sticky cookie (and the session cookie without a token) travel with polling requests.
      withCredentials: true,
      ...(options.token ? { auth: { token: options.token } } : {}),
      ...options.socketOptions,
    };
    // Not connected yet: each engine the manager opens is watched from its start (watchTransports).
    this.probeTarget = { url: options.url, options: socketOptions };
    const unopened = { ...socketOptions, autoConnect: false };
    const socket = options.url === undefined ? io(unopened) : io(options.url, unopened);
    this.socket = socket;
    this.dashboardRoom = new DashboardRoom(this);
    this.watch(socket, socketOptions.reconnection !== false);
    this.watchTransports(socket, fallback);
    if (socketOptions.autoConnect !== false) socket.connect();
  }

  /**
   * Follows how each engine's WebSocket ends, for the fallback (when `fallback`) and `transport.current`. A WebSocket
   * closed early is one closed before the Socket.IO connect ack or less than EARLY_CLOSE_MS after it (or after the
   * upgrade), by the other side; not one the server closed on purpose after the ack (a close frame: a node draining,
   * SERVER_CLOSE_CODES), nor one after the server's DISCONNECT (`io server disconnect`).
   */
  private watchTransports(s: TaskflowSocket, fallback: boolean): void {
    const manager = s.io;
    const open = manager.open.bind(manager);
    // The manager makes a new engine from its options at each (re)connect: the fallback's choice goes in first.
    manager.open = (fn) => {
      if (fallback) Object.assign(manager.opts, this.transport.engineOptions());
      open(fn);
      if (manager.engine && manager.engine !== this.engineWatch?.engine) this.watchEngine(s, manager.engine, fallback);
      return manager;
    };
    s.on('connect', () => {
      const watch = this.engineWatch;
      if (!watch || watch.engine !== manager.engine) return;
      watch.ackAt = Date.now();
      const name = watch.engine.transport.name === 'websocket' ? 'websocket' : 'polling';
      this.transport.setCurrent(name);
      if (name === 'websocket') this.heldAfter(watch.engine);
    });
    s.on('disconnect', (reason) => {
      this.transport.setCurrent(null);
      // The server ended this Socket.IO connection on purpose: the transport's close that follows is not a cut.
      if (reason === 'io server disconnect' && this.engineWatch?.engine === manager.engine) this.engineWatch.serverDisconnected = true;
    });
    if (fallback && this.transport.getSnapshot().preferred === 'polling') this.scheduleWebSocketRetry();
  }

  private watchEngine(s: TaskflowSocket, engine: Engine, fallback: boolean): void {
    const watch: { engine: Engine; ackAt?: number; upgradedAt?: number; serverDisconnected?: boolean } = { engine };
    this.engineWatch = watch;
    const startedOn = engine.transport?.name;
    // Each engine's WebSocket is judged once: closed early, or held.
    let judged = false;
    engine.on('open', () => {
      // tryAllTransports moved on to long-polling: the WebSocket failed before the handshake (a proxy refusing it).
      if (!fallback || judged || startedOn !== 'websocket' || engine.transport.name !== 'polling') return;
      judged = true;
      this.transport.webSocketClosedEarly();
    });
    engine.on('upgrade', () => {
      watch.upgradedAt = Date.now();
      this.transport.setCurrent('websocket');
      if (fallback && startedOn === 'polling') this.heldAfter(engine);
    });
    engine.on('upgradeError', () => {
      if (!fallback || startedOn !== 'polling' || judged) return;
      judged = true;
      this.transport.retryFailed();
      this.scheduleWebSocketRetry();
    });
    engine.on('close', (reason, description) => {
      if (this.engineWatch === watch) this.transport.setCurrent(null);
      // `forced close`: this client closed it (offline, close(), a session that ended, a retry, after the server's
      // DISCONNECT, which socket.io-client answers by closing the engine).
      if (!fallback || judged || reason === 'forced close' || watch.serverDisconnected || engine.transport?.name !== 'websocket') return;
      const since = watch.upgradedAt ?? watch.ackAt;
      if (since !== undefined && Date.now() - since >= EARLY_CLOSE_MS) return;
      // Open past the ack, then closed by the server with a close frame (a node draining in a rolling restart): the
      // WebSocket works. Before the ack a close frame is still counted: a proxy may send one as it refuses.
      const code = closeCode(description);
      if (since !== undefined && code !== undefined && SERVER_CLOSE_CODES.has(code)) return;
      judged = true;
      if (startedOn === 'polling') {
        this.transport.retryFailed();
        return this.scheduleWebSocketRetry();
      }
      const decision = this.transport.webSocketClosedEarly();
      if (decision === 'fallback') this.scheduleWebSocketRetry();
      // Closed while the engine was still opening, socket.io-client waits for its connect timeout (20 s) before it
      // tries again: a fresh connection now, with the fallback's transports. Jittered while it is WebSocket again.
      this.later(decision === 'fallback' ? 0 : 250 + Math.random() * 500, () => {
        if (s.connected || !this.mayConnect()) return;
        s.disconnect();
        s.connect();
      });
    });
  }

  /** Tells the fallback when the engine's WebSocket is still open EARLY_CLOSE_MS from now. */
  private heldAfter(engine: Engine): void {
    this.later(EARLY_CLOSE_MS, () => {
      if (this.engineWatch?.engine === engine && engine.readyState === 'open' && engine.transport.name === 'websocket')
        this.transport.webSocketHeld();
    });
  }

  /**
   * While on long-polling first: when WebSocket is due again, a probe beside the connection (WebSocket alone, an engine
   * handshake and no Socket.IO connect), so a proxy that still cuts it costs the page nothing. Only once the probe
   * held EARLY_CLOSE_MS does the connection move over (one short reconnect, WebSocket first). Not connected, the next
   * connection tries the upgrade itself (engineOptions).
   */
  private scheduleWebSocketRetry(): void {
    const at = this.transport.getSnapshot().retryWebSocketAt;
    this.cancel(this.retryTimer);
    if (at === null) return;
    this.retryTimer = this.later(Math.max(0, at - Date.now()), () => {
      if (this.socket?.connected && this.mayConnect() && this.transport.getSnapshot().current === 'polling')
        this.probeWebSocket(this.socket);
    });
  }

  private probeWebSocket(s: TaskflowSocket): void {
    const target = this.probeTarget;
    if (!target || this.probe) return;
    // A probe whose frames never arrive (no handshake) fails at the timeout; unref'd, it keeps no process alive.
    const options = {
      ...target.options,
      transports: ['websocket'],
      upgrade: false,
      reconnection: false,
      autoConnect: false,
      timeout: PROBE_TIMEOUT_MS,
      autoUnref: true,
    };
    const probe = target.url === undefined ? new Manager(options) : new Manager(target.url, options);
    this.probe = probe;
    let settled = false;
    const settle = (held: boolean) => {
      if (settled) return;
      settled = true;
      this.probe = undefined;
      probe.engine?.close();
      if (this.closed) return;
      if (!held) {
        this.transport.retryFailed();
        return this.scheduleWebSocketRetry();
      }
      this.transport.webSocketHeld();
      // Not after the session ended (the server closes the socket within END_GRACE_MS) nor after LIVE_OFF.
      if (s.connected && this.mayConnect()) {
        s.disconnect();
        s.connect();
      }
    };
    // One that opens is judged EARLY_CLOSE_MS later.
    probe.open((err) => {
      if (err) return settle(false);
      this.later(EARLY_CLOSE_MS, () => settle(probe.engine.readyState === 'open'));
    });
    probe.engine.on('close', () => settle(false));
  }

  private watch(s: TaskflowSocket, reconnect: boolean): void {
    s.on('connect', () => {
      this.refusals = 0;
      this.everConnected = true;
      this.lastError = undefined;
      this.refresh();
    });
    s.on('disconnect', (reason) => {
      this.refresh();
      // socket.io-client does not come back after a server-side disconnect: jittered, so the clients of a node
      // that goes away do not all return at once.
      if (reconnect && reason === 'io server disconnect') this.later(200 + Math.random() * 800, () => this.connectIfIdle());
    });
    s.on('connect_error', (err) => {
      const error = TaskflowError.fromConnectError(err, !s.active);
      this.lastError = error;
      // Not rolled in to live updates: polling, and no retry (the app asks the server later whether it may go live).
      if (POLLING_CONNECT_ERRORS.has(error.code)) return this.toPolling(error);
      if (RETRYABLE_CONNECT_ERRORS.has(error.code)) {
        // A refusal that passes (a per-user limit; the server could not check the session just now):
        // socket.io-client does not retry a middleware refusal by itself.
        this.refusals += 1;
        const delayMs =
          error.code === 'UNAVAILABLE'
            ? ackRetryDelayMs(this.refusals)
            : Math.max(ackRetryDelayMs(this.refusals), (error.retryAfterSeconds ?? LIMIT_RETRY_SECONDS) * 1000 * (1 + Math.random() / 2));
        if (reconnect) this.later(delayMs, () => this.connectIfIdle());
      } else if (LOGIN_REQUIRED_CONNECT_ERRORS.has(error.code)) {
        // No, expired, revoked or invalid credentials, a disabled account: log in again.
        return this.end(error);
      } else if (!s.active) {
        // Refused without a code (a proxy, a middleware that failed) or with one this client does not know: not a
        // reason to log out; tried again with backoff.
        this.refusals += 1;
        if (reconnect) this.later(ackRetryDelayMs(this.refusals), () => this.connectIfIdle());
      }
      this.refresh();
    });
    s.on('error', (e) => {
      if (e.code === 'TOKEN_EXPIRED') this.end(new TaskflowError('TOKEN_EXPIRED', e.message));
    });
    // Logout in another tab (any node), an expiry, an admin: back to the login.
    s.on('session:ended', ({ reason }) => this.end(new TaskflowError('SESSION_ENDED', `The session ended (${reason})`)));
    // Its node holds more than its share of the cluster's sockets (after a scale-out): reconnect now, and the load
    // balancer picks an emptier node. The node spreads these over time; the feeds resync on the new connection.
    s.on('connection:reconnect', () => {
      if (!reconnect || !this.mayConnect()) return;
      s.disconnect();
      // Tells the load balancer that this handshake may go to any node, whatever its sticky cookie says (HAProxy's
      // rule in infra/haproxy/haproxy.cfg); later requests of the session carry its sid and follow the new cookie.
      s.io.opts.query = { ...s.io.opts.query, rebalance: '1' };
      this.connectIfIdle();
    });
    // An operator or org admin took this user out of the live rollout: the server closes the socket next.
    s.on('live:off', () => this.toPolling(new TaskflowError('LIVE_OFF', 'Live updates were switched off for this user')));
  }

  /**
   * Status `polling` (error LIVE_OFF) for good: the socket stays closed. Feeds on this client do not poll by
   * themselves: the app replaces it with a `realtime: false` client, and a socket one once it may go live again.
   */
  private toPolling(error: TaskflowError): void {
    this.liveOff = true;
    this.lastError = error;
    this.socket?.io.reconnection(false);
    this.socket?.disconnect();
    this.refresh();
  }

  /** Never while a connection is under way: connect() then sends a second CONNECT and the server holds two sockets. */
  private connectIfIdle(): void {
    if (this.socket && this.mayConnect() && !this.socket.active) this.socket.connect();
  }

  /** Whether this client may (re)connect at all: not closed, the session not ended, not taken out of live, online. */
  private mayConnect(): boolean {
    return !this.closed && !this.ended && !this.liveOff && this.online;
  }

  /** @internal A timer close() clears (a closed client must neither act nor keep the process alive). */
  later(ms: number, fn: () => void): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  /** @internal */
  cancel(timer: ReturnType<typeof setTimeout> | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** Whether close() was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** No reconnect after this (nor socket.io-client's own: the socket is disconnected). */
  private end(error: TaskflowError): void {
    this.ended = true;
    this.lastError = error;
    // The server closes the socket itself after its last frames (session:ended, then the TOKEN_EXPIRED error, which
    // the app may still want to read): no reconnect from here on, and a socket the server leaves open is closed
    // after a grace period.
    this.socket?.io.reconnection(false);
    this.later(END_GRACE_MS, () => this.socket?.disconnect());
    this.refresh();
  }

  private refresh(): void {
    const status: ConnectionStatus = this.closed
      ? 'closed'
      : this.ended
        ? 'ended'
        : !this.socket || this.liveOff
          ? 'polling'
          : !this.online
            ? 'offline'
            : this.socket.connected
              ? 'connected'
              : this.everConnected
                ? 'reconnecting'
                : 'connecting';
    const error = status === 'connected' || status === 'closed' ? undefined : this.lastError;
    if (this.getSnapshot().status !== status || this.getSnapshot().error !== error) this.update({ status, error });
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** The browser's view of the network: offline closes the socket on purpose; back online, a fresh connection re-joins. */
  setOnline(online: boolean): void {
    this.online = online;
    if (this.socket && !online) this.socket.disconnect();
    else this.connectIfIdle();
    this.refresh();
  }

  /** A server → client event, typed by the contract (and `connect`/`disconnect`). Returns the unsubscribe. */
  on<E extends ServerEventName>(event: E, listener: (payload: ServerEventPayload<E>) => void): () => void;
  on<E extends keyof ReservedEvents>(event: E, listener: ReservedEvents[E]): () => void;
  on(event: string, listener: (...args: any[]) => void): () => void {
    const s = this.socket;
    if (!s) return () => undefined;
    // The overloads above type each name's listener; socket.io's own overloads cannot take a name chosen at run time.
    s.on(event as 'connect', listener);
    if (!(BATCHED_EVENTS as readonly string[]).includes(event)) return () => void s.off(event as 'connect', listener);
    const listeners = this.batchListeners.get(event) ?? new Set();
    this.batchListeners.set(event, listeners);
    listeners.add(listener);
    this.unpackBatches(s);
    return () => {
      s.off(event as 'connect', listener);
      listeners.delete(listener);
    };
  }

  /** `dashboard:batch` (the dashboard feed asks for it under load): its items reach `on` listeners as single events. */
  private unpackBatches(s: TaskflowSocket): void {
    if (this.batchesUnpacked) return;
    this.batchesUnpacked = true;
    s.on('dashboard:batch', ({ items }) => {
      for (const item of items) for (const listener of [...(this.batchListeners.get(item.event) ?? [])]) listener(item.payload);
    });
  }

  /**
   * Sends a message and resolves with its acknowledgement, typed by the contract. Rejects with TaskflowError
   * TIMEOUT when no ack came in time, NO_SOCKET when realtime is off or the client is closed, DISCONNECTED at once
   * while the socket is not connected (socket.io would buffer it and deliver it, stale, after the next connect).
   */
  async request<M extends ClientMessageName>(
    name: M,
    message: ClientMessage<M>,
    options: RequestOptions = {},
  ): Promise<Ack<ClientMessageAck<M>>> {
    if (!this.socket || this.closed) throw new TaskflowError('NO_SOCKET', 'No realtime connection');
    if (!this.socket.connected) throw new TaskflowError('DISCONNECTED', `Not connected: ${name} was not sent`);
    // The one cast: socket.io types `timeout(…).emitWithAck` answers as any, and cannot follow a generic name.
    const timed = this.socket.timeout(options.timeoutMs ?? this.requestTimeoutMs) as unknown as {
      emitWithAck(event: M, message: ClientMessage<M>): Promise<Ack<ClientMessageAck<M>>>;
    };
    try {
      return await timed.emitWithAck(name, message);
    } catch (err) {
      throw new TaskflowError('TIMEOUT', `No answer to ${name}: ${(err as Error).message}`);
    }
  }

  /**
   * Sends `name` until it is answered for good: ok, or a failure retrying cannot fix (NOT_FOUND, …). A retryable
   * failure (UNAVAILABLE, RATE_LIMITED) or a missing ack is sent again with the contract's backoff; INTERNAL and a
   * missing ack only a few times (shouldRetryAck), then `onAnswer` gets the last failure, or undefined when no ack
   * came at all. While disconnected it waits for the next connect. `message` may be a function, read at each
   * attempt (a resync asks from where the copy is by then). Returns the stop. After close() nothing is sent and
   * `onAnswer` is never called.
   */
  requestUntilAnswered<M extends ClientMessageName>(
    name: M,
    message: ClientMessage<M> | (() => ClientMessage<M>),
    onAnswer: (ack: Ack<ClientMessageAck<M>> | undefined) => void,
    options: UntilAnsweredOptions = {},
  ): StopRequest {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let unwait: (() => void) | undefined;
    let inFlight = false;
    let afterSettled: (() => void) | undefined;
    const attempt = (n: number): void => {
      timer = undefined;
      if (stopped || this.closed) return;
      if (!this.socket?.connected) {
        // Answered later, never before this returns its stop (callers keep it until the answer).
        if (!this.socket) return void Promise.resolve().then(() => !stopped && !this.closed && onAnswer(undefined));
        // After the connect's own handlers ran: a feed that re-joins on connect stops this one first.
        unwait = this.on('connect', () => {
          unwait?.();
          timer = this.later(0, () => attempt(n));
        });
        return;
      }
      const body = typeof message === 'function' ? (message as () => ClientMessage<M>)() : message;
      inFlight = true;
      this.request(name, body, options).then(
        (ack) => settled(n, ack),
        () => settled(n, undefined),
      );
    };
    const settled = (n: number, ack: Ack<ClientMessageAck<M>> | undefined): void => {
      inFlight = false;
      const after = afterSettled;
      afterSettled = undefined;
      after?.();
      if (stopped || this.closed) return;
      const error = ack && !ack.ok ? ack.error : undefined;
      if (ack?.ok || !shouldRetryAck(error, n)) return onAnswer(ack);
      options.onRetry?.(n, error ? TaskflowError.fromAck(error) : undefined);
      timer = this.later(ackRetryDelayMs(n), () => attempt(n + 1));
    };
    attempt(1);
    return (afterInFlight) => {
      stopped = true;
      this.cancel(timer);
      unwait?.();
      if (afterInFlight && inFlight) afterSettled = afterInFlight;
      else afterInFlight?.();
    };
  }

  /** One task, live (TaskFeed). */
  task(taskId: string, options: TaskFeedOptions = {}): TaskFeed {
    return new TaskFeed(this, taskId, options);
  }

  /** The dashboard, live; with a non-empty `filter`, the server-side search kept current by live rows. */
  dashboard(options?: DashboardFeedOptions & { filter?: undefined }): DashboardFeed;
  dashboard(options: DashboardFeedOptions & { filter: TaskFilter }): FilteredDashboardFeed;
  dashboard(options: DashboardFeedOptions & { filter?: TaskFilter } = {}): DashboardFeed | FilteredDashboardFeed {
    return options.filter ? new FilteredDashboardFeed(this, options.filter, options) : new DashboardFeed(this, options);
  }

  /** The signed-in user's notifications (NotificationFeed). */
  notifications(): NotificationFeed {
    return new NotificationFeed(this);
  }

  /** @internal Task feeds open per task, so the last one to close leaves the room. Returns the release. */
  holdTask(taskId: string): () => boolean {
    this.taskFeeds.set(taskId, (this.taskFeeds.get(taskId) ?? 0) + 1);
    let held = true;
    return () => {
      if (!held) return false;
      held = false;
      const left = (this.taskFeeds.get(taskId) ?? 1) - 1;
      if (left > 0) this.taskFeeds.set(taskId, left);
      else this.taskFeeds.delete(taskId);
      return left === 0;
    };
  }

  /** @internal Whether a task feed of this task is open. */
  holdsTask(taskId: string): boolean {
    return this.taskFeeds.has(taskId);
  }

  /** Closes the socket and stops every retry; feeds should be closed first (their leave needs the socket). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.probe?.engine?.close();
    this.socket?.close();
    this.refresh();
  }
}
