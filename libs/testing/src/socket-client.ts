import type { Socket } from 'socket.io-client';
import { TaskflowClient } from '@taskflow/client';
import type { AckError, ClientMessage, ClientMessageAck, ClientMessageName, ServerToClientEvents } from '@taskflow/events';

export interface RecordedEvent {
  event: string;
  payload: any;
  at: number;
}

/** A real socket.io-client that records every event it receives, for assertions. */
/**
 * Listeners are typed by the contract; sending is left free-form, so tests can also send what the contract
 * forbids (no ack, unknown names, bad payloads) and check the server's answer.
 */
export type TestClientSocket = Socket<ServerToClientEvents, Record<string, (...args: any[]) => void>>;

/** The server's acknowledgement as a test reads it: `data` typed by the contract; either branch's fields readable. */
export interface AckAnswer<T> {
  ok: boolean;
  data?: T;
  error?: AckError;
}

export interface TestSocket {
  socket: TestClientSocket;
  /** The client library driving `socket`: its reconnect policy, and the feeds (TaskMirror) that browsers run. */
  taskflow: TaskflowClient;
  events: RecordedEvent[];
  /** Events named `event` received so far. */
  of(event: string): RecordedEvent[];
  /** Sends a message and resolves with the server's acknowledgement, typed by the contract. */
  request<M extends ClientMessageName>(event: M, payload?: ClientMessage<M>, timeoutMs?: number): Promise<AckAnswer<ClientMessageAck<M>>>;
  /** The same for frames the contract does not allow (unknown names, bad payloads), to test the server's answer. */
  requestRaw(event: string | number, payload?: unknown, timeoutMs?: number): Promise<AckAnswer<unknown>>;
  waitFor(predicate: (e: RecordedEvent) => boolean, what: string, timeoutMs?: number): Promise<RecordedEvent>;
  /** Every disconnect (with socket.io-client's reason) and every successful (re)connect, in order. */
  disconnects: Array<{ reason: string; at: number }>;
  connects: number[];
  close(): void;
}

export interface OpenSocketOptions {
  token?: string;
  transports?: Array<'websocket' | 'polling'>;
  extraHeaders?: Record<string, string>;
  reconnection?: boolean;
}

/**
 * Connects and resolves once connected, or rejects with the `connect_error` message. With `reconnection`, the
 * client library's policy (TaskflowClient) brings it back as it does browsers: after `io server disconnect` and after
 * a refusal that passes (TOO_MANY_SOCKETS, SOCKET_RATE_LIMITED, UNAVAILABLE), unless the session ended.
 */
export function openSocket(url: string, opts: OpenSocketOptions = {}): Promise<TestSocket> {
  const taskflow = new TaskflowClient({
    url,
    ...(opts.token === undefined ? {} : { token: opts.token }),
    socketOptions: {
      auth: opts.token === undefined ? {} : { token: opts.token },
      transports: opts.transports ?? ['websocket'],
      tryAllTransports: false,
      ...(opts.extraHeaders ? { extraHeaders: opts.extraHeaders } : {}),
      reconnection: opts.reconnection ?? false,
      reconnectionDelay: 100,
      reconnectionDelayMax: 1000,
      // Cookies (HAProxy's sticky-session cookie) must travel with polling requests.
      withCredentials: true,
      forceNew: true,
    },
  });
  // Sending is left free-form here (requestRaw); the library's socket is the same object.
  const socket = taskflow.socket as unknown as TestClientSocket;
  const events: RecordedEvent[] = [];
  socket.onAny((event: string, payload: unknown) => events.push({ event, payload, at: Date.now() }));
  const disconnects: TestSocket['disconnects'] = [];
  const connects: number[] = [];
  socket.on('connect', () => void connects.push(Date.now()));
  socket.on('disconnect', (reason) => void disconnects.push({ reason, at: Date.now() }));
  // The contract's names are checked by `request`'s signature; on the wire a frame is a name and a payload.
  const requestRaw = (event: string | number, payload: unknown = {}, timeoutMs = 5000): Promise<AckAnswer<unknown>> =>
    socket.timeout(timeoutMs).emitWithAck(event as string, payload);
  const api: TestSocket = {
    socket,
    taskflow,
    events,
    disconnects,
    connects,
    of: (event) => events.filter((e) => e.event === event),
    request: (event, payload, timeoutMs = 5000) =>
      requestRaw(event, payload, timeoutMs) as Promise<AckAnswer<ClientMessageAck<typeof event>>>,
    requestRaw,
    async waitFor(predicate, what, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = events.find(predicate);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${events.map((e) => e.event).join(', ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => taskflow.close(),
  };
  return new Promise((resolve, reject) => {
    // Only the first connection may fail the open: left in place, this listener would close the socket
    // at the first failed *re*connect attempt (e.g. a 503 from HAProxy), and it would never try again.
    const onConnect = () => {
      socket.off('connect_error', onError);
      resolve(api);
    };
    const onError = (err: Error) => {
      socket.off('connect', onConnect);
      taskflow.close();
      reject(err);
    };
    socket.once('connect', onConnect);
    socket.once('connect_error', onError);
  });
}
