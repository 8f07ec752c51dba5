import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Server, type Socket as ServerSocket } from 'socket.io';
import type { ConnectErrorData, DashboardTask, PublicTask, ServerEventPayload, TimelineEvent } from '@taskflow/events';
import type { HttpClient } from '../http';

export const TASK_ID = '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
/** No tasks (with the total the wire carries since issue 19). */
const zero = { activeCount: 0, completedCount: 0, failedCount: 0, total: 0 };
const NONE: ServerEventPayload<'dashboard:state'>['counts'] = zero;

export const ev = (seq: number, status: string, taskId = TASK_ID): TimelineEvent => ({
  seq,
  eventType: 'analyzing',
  payload: { taskId, seq, status },
  createdAt: new Date(seq * 1000).toISOString(),
});

export const task = (seq: number, status: string, taskId = TASK_ID): PublicTask => ({ id: taskId, seq, status }) as PublicTask;

export const row = (taskId: string, seq: number, status = 'received', extra: Partial<DashboardTask> = {}): DashboardTask =>
  ({ taskId, seq, status, title: `task ${taskId}`, updatedAt: new Date(seq * 1000).toISOString(), ...extra }) as DashboardTask;

/** A refusal as the server's middleware sends it (`err.data.code`). */
export const refusal = (data: ConnectErrorData | { code: string }, message = data.code) => Object.assign(new Error(message), { data });

/**
 * A real in-process Socket.IO server that plays the gateway's part for the feeds' tests: what it answers is
 * set per test through its fields (refusals, snapshots, the events a resync returns).
 */
export class FakeGateway {
  readonly server: Server;
  url = '';
  readonly sockets: ServerSocket[] = [];
  /** Handshakes to refuse, in order (then accept). */
  refuse: Array<Error> = [];
  handshakes = 0;
  joins = 0;
  /** Task joins answered (after joinDelayMs). */
  joinsAnswered = 0;
  /** How long a task join takes before it joins the room and answers (the server handles messages concurrently). */
  joinDelayMs = 0;
  /** Codes the next task joins are refused with, in order. */
  joinFailures: string[] = [];
  /** Live events sent to the joining socket before its snapshot (the server joins first, then reads). */
  beforeSnapshot: TimelineEvent[] = [];
  snapshot = { seq: 1, status: 'received', events: [ev(1, 'received')] };
  resyncs: Array<{ taskIds?: string[]; since?: Record<string, number> }> = [];
  resyncFailures: string[] = [];
  /** What a resync answers with: the committed events after `since`. */
  committed: TimelineEvent[] = [];
  dashboardJoins = 0;
  /** What each `dashboard:join` carried. */
  dashboardJoinMessages: unknown[] = [];
  /** Codes the next dashboard joins are refused with, in order. */
  dashboardJoinFailures: string[] = [];
  dashboardLeaves = 0;
  taskLeaves = 0;
  /** `task:shown` reports, in order. */
  shown: Array<{ taskId: string; seq: number }> = [];
  dashboardState: ServerEventPayload<'dashboard:state'> = { tasks: [], counts: NONE, privateCounts: NONE, nextCursor: null };
  /**
   * What a middlebox in front does to WebSocket upgrades: `pass`; `accept-then-close` answers 101 and closes the
   * socket at once (some proxies and antivirus filters); `refuse` answers 400.
   */
  middlebox: 'pass' | 'accept-then-close' | 'refuse' = 'pass';
  /** WebSocket upgrade requests seen (whatever the middlebox did with them). */
  upgrades = 0;
  /**
   * Cuts each connection on WebSocket this long after its Socket.IO connect (a middlebox that lets a few frames by):
   * the TCP connection goes, with no WebSocket close frame (the client sees code 1006), as a proxy's cut does.
   */
  cutWebSocketAfterMs: number | undefined;

  private constructor(private readonly httpServer: http.Server) {
    this.server = new Server(httpServer);
    // The middlebox sees each upgrade before the engine (which attached its own listener above).
    const engineUpgrade = httpServer.listeners('upgrade') as Array<(...args: unknown[]) => void>;
    httpServer.removeAllListeners('upgrade');
    httpServer.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgrades += 1;
      // Closed for good once the answer is out (end() alone leaves it half open until the client closes its side).
      const answer = (head: string) => void socket.end(head, () => socket.destroy());
      if (this.middlebox === 'refuse') return answer('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      if (this.middlebox === 'accept-then-close') {
        const accept = createHash('sha1')
          .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest('base64');
        return answer(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
      }
      for (const listener of engineUpgrade) listener.call(httpServer, req, socket, head);
    });
    this.server.use((socket, next) => {
      this.handshakes += 1;
      const refused = this.refuse.shift();
      if (refused) return next(refused);
      if ((socket.handshake.auth as { token?: string }).token === 'bad') return next(refusal({ code: 'INVALID_TOKEN' }, 'Invalid token'));
      next();
    });
    this.server.on('connection', (socket) => {
      this.sockets.push(socket);
      const cutAfterMs = this.cutWebSocketAfterMs;
      if (cutAfterMs !== undefined && socket.conn.transport.name === 'websocket') setTimeout(() => cutTcp(socket), cutAfterMs);
      socket.on('task:join', async (msg: { taskId: string }, ack: (a: unknown) => void) => {
        this.joins += 1;
        const code = this.joinFailures.shift();
        if (this.joinDelayMs > 0) await new Promise((r) => setTimeout(r, this.joinDelayMs));
        this.joinsAnswered += 1;
        if (code) return ack({ ok: false, error: { code, message: code } });
        void socket.join(`task:${msg.taskId}`);
        for (const event of this.beforeSnapshot) socket.emit('task:event_added', { taskId: msg.taskId, seq: event.seq, event });
        const { seq, status, events } = this.snapshot;
        socket.emit('task:state', {
          taskId: msg.taskId,
          seq,
          task: task(seq, status, msg.taskId),
          events,
        });
        ack({ ok: true, data: { seq } });
      });
      socket.on('task:shown', (msg: { taskId: string; seq: number }, ack: (a: unknown) => void) => {
        this.shown.push(msg);
        ack({ ok: true, data: { counted: true } });
      });
      socket.on('task:leave', (msg: { taskId: string }, ack: (a: unknown) => void) => {
        this.taskLeaves += 1;
        void socket.leave(`task:${msg.taskId}`);
        ack({ ok: true });
      });
      socket.on('resync_requested', (msg: { taskIds: string[]; since: Record<string, number> }, ack: (a: unknown) => void) => {
        this.resyncs.push(msg);
        const code = this.resyncFailures.shift();
        if (code) return ack({ ok: false, error: { code, message: code } });
        const results = msg.taskIds.map((taskId) => ({
          taskId,
          kind: 'events',
          events: this.committed.filter((e) => e.seq > (msg.since[taskId] ?? 0)),
        }));
        ack({ ok: true, data: { results } });
      });
      socket.on('dashboard:join', (msg: unknown, ack: (a: unknown) => void) => {
        this.dashboardJoins += 1;
        this.dashboardJoinMessages.push(msg);
        const code = this.dashboardJoinFailures.shift();
        if (code) return ack({ ok: false, error: { code, message: code } });
        void socket.join('org');
        socket.emit('dashboard:state', this.dashboardState);
        ack({ ok: true, data: { count: this.dashboardState.tasks.length } });
      });
      socket.on('dashboard:leave', (_msg: unknown, ack: (a: unknown) => void) => {
        this.dashboardLeaves += 1;
        void socket.leave('org');
        ack({ ok: true });
      });
    });
  }

  static async start(): Promise<FakeGateway> {
    const httpServer = http.createServer();
    const gateway = new FakeGateway(httpServer);
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
    gateway.url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    return gateway;
  }

  /** Emits to the sockets in a task's room. */
  toTask<E extends 'task:event_added' | 'presence:updated'>(event: E, payload: ServerEventPayload<E>, taskId = TASK_ID): void {
    this.server.to(`task:${taskId}`).emit(event, payload);
  }

  added(seq: number, status: string, taskId = TASK_ID): void {
    this.toTask('task:event_added', { taskId, seq, event: ev(seq, status, taskId) }, taskId);
  }

  toDashboard<E extends 'dashboard:task_list_updated' | 'dashboard:task_count_changed'>(event: E, payload: ServerEventPayload<E>): void {
    this.server.to('org').emit(event, payload);
  }

  /** Several dashboard events in one frame, as a node packs them for a socket that joined with `batch: true`. */
  batchToDashboard(items: ServerEventPayload<'dashboard:batch'>['items']): void {
    this.server.to('org').emit('dashboard:batch', { items });
  }

  emitAll<E extends 'sync:required' | 'session:ended' | 'error' | 'notification:created' | 'notification:read'>(
    event: E,
    payload: ServerEventPayload<E>,
  ): void {
    this.server.emit(event, payload);
  }

  /** Cuts every connection's WebSocket now, as a middlebox does (cutWebSocketAfterMs). */
  cutWebSockets(): void {
    for (const socket of this.server.of('/').sockets.values()) cutTcp(socket);
  }

  /**
   * What a draining node does in a rolling restart (preClose in the server's socket-io plugin): each socket's
   * transport closed by engine.io, which on WebSocket is a close frame without a status (the client sees code 1005).
   */
  drain(): void {
    for (const socket of this.server.of('/').sockets.values()) socket.conn.close();
  }

  async close(): Promise<void> {
    const closing = this.server.close();
    // Long-polling clients' keep-alive connections would hold the server open.
    this.httpServer.closeAllConnections();
    await closing;
  }
}

/** Drops a socket's WebSocket at the TCP level (ws terminate(): no close frame), as a middlebox does. */
function cutTcp(socket: ServerSocket): void {
  const transport = socket.conn.transport as unknown as { name: string; socket?: { terminate(): void } };
  if (transport.name === 'websocket') transport.socket?.terminate();
}

/** An HttpClient answering from a table of paths (a function per path, or a value); records what was asked. */
export function fakeHttp(routes: Record<string, unknown | ((body?: unknown) => unknown)>): HttpClient & { asked: string[] } {
  const asked: string[] = [];
  const answer = async (path: string, body?: unknown) => {
    asked.push(body === undefined ? path : `${path} ${JSON.stringify(body)}`);
    const route = Object.hasOwn(routes, path) ? routes[path] : Object.entries(routes).find(([p]) => path.startsWith(p))?.[1];
    if (route === undefined) throw Object.assign(new Error(`no route ${path}`), { status: 404, code: 'NOT_FOUND' });
    const value = typeof route === 'function' ? (route as (b?: unknown) => unknown)(body) : route;
    if (value instanceof Error) throw value;
    return value;
  };
  return {
    asked,
    get: async <T>(path: string) => (await answer(path)) as T,
    post: async <T>(path: string, body: unknown) => (await answer(path, body)) as T,
  };
}

/** Waits until `check` passes (it throws until then), or fails with its last error after `timeoutMs`. */
export async function until(check: () => void, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
