import type { Socket } from 'socket.io';

/** What engine.io 6 holds for one connection (untyped members; engine.io 6.6, ws 8). */
interface EngineConnInternals {
  /** Packets waiting for the transport to be writable again (the last write not yet handed to the kernel). */
  writeBuffer: Array<{ data?: unknown; options?: { wsPreEncodedFrame?: Buffer[] } }>;
  transport: {
    name: string;
    /** The `ws` WebSocket of the websocket transport: `bufferedAmount` is what its net.Socket still holds. */
    socket?: { bufferedAmount?: number };
    on(event: 'drain', listener: () => void): unknown;
    off(event: 'drain', listener: () => void): unknown;
  };
}

const connOf = (socket: Socket) => socket.conn as unknown as EngineConnInternals;

function packetBytes(packet: EngineConnInternals['writeBuffer'][number]): number {
  const frame = packet.options?.wsPreEncodedFrame;
  if (frame) {
    let n = 0;
    for (const part of frame) n += part.length;
    return n;
  }
  const data = packet.data;
  // A string's length in UTF-16 units: about its bytes (a bound, not an invoice), without encoding it.
  if (typeof data === 'string') return data.length;
  if (Buffer.isBuffer(data)) return data.length;
  return 16;
}

/**
 * The bytes this node holds for a socket in user space: engine.io's write buffer plus, on WebSocket, what the
 * net.Socket has not yet handed to the kernel. Counting stops once it reaches `atLeast` (a behind socket's buffer
 * holds up to the limit's worth of frames; nobody needs the exact figure past the threshold).
 */
export function queuedBytes(socket: Socket, atLeast = Number.POSITIVE_INFINITY): number {
  const conn = connOf(socket);
  let bytes = 0;
  if (conn.transport?.name === 'websocket') bytes += conn.transport.socket?.bufferedAmount ?? 0;
  for (const packet of conn.writeBuffer ?? []) {
    if (bytes >= atLeast) break;
    bytes += packetBytes(packet);
  }
  return bytes;
}

export interface OutboundLimitOptions {
  /** Past this many queued bytes a socket is behind: broadcasts to it are skipped. */
  maxBytes: number;
  /** A behind socket gets broadcasts again below this (default: a quarter of `maxBytes`). */
  lowWaterBytes?: number;
  /** A socket just went past the limit. */
  onFellBehind?: () => void;
  /** A broadcast was not written to a behind socket. */
  onSkipped?: () => void;
}

interface Behind {
  transport: EngineConnInternals['transport'];
  onDrain: () => void;
  onDisconnect: () => void;
}

/**
 * A bounded outbound buffer per socket. Socket.IO queues every broadcast for every socket, however slowly it reads,
 * so one paused client (a laptop lid, a 50 kbit/s link) makes its node's memory grow without end. Here a socket that
 * holds more than `maxBytes` is *behind*: broadcasts to it are skipped (nothing more is queued: memory stays flat), and
 * once its buffer is below the low-water mark (checked on every broadcast for it and when its transport drains) it
 * gets `sync:required {reason: 'fell_behind'}` and broadcasts again.
 *
 * Why nothing is lost: a skipped broadcast is for a change already committed to PostgreSQL, and the `sync:required`
 * is queued after every skip, so the client reads it only after the skips happened. On it, the client library re-joins
 * its dashboard (a snapshot read after the join, hence after every skip) and resyncs each task by seq from its last one
 * (`task:resync`). Telling it when it recovers rather than when it fell behind matters: a client told early could
 * re-join, read its snapshot, and then miss a broadcast still skipped because a large reply kept the buffer full.
 * Broadcasts written after the `sync:required` arrive in order behind it, as after any other resync.
 */
export class OutboundLimit {
  private readonly behind = new Map<Socket, Behind>();
  private readonly lowWater: number;

  constructor(private readonly opts: OutboundLimitOptions) {
    if (!(opts.maxBytes > 0)) throw new RangeError(`maxBytes must be positive, got ${opts.maxBytes}`);
    this.lowWater = Math.min(opts.lowWaterBytes ?? Math.floor(opts.maxBytes / 4), opts.maxBytes);
  }

  /** Past this many queued bytes a socket is behind. */
  get maxBytes(): number {
    return this.opts.maxBytes;
  }

  /** Sockets behind right now. */
  get behindNow(): number {
    return this.behind.size;
  }

  /** Whether a broadcast may be written to this socket now (`false`: skipped, and counted). */
  admit(socket: Socket): boolean {
    if (this.behind.has(socket)) {
      if (!this.recoverIfDrained(socket)) {
        this.opts.onSkipped?.();
        return false;
      }
      return true;
    }
    // At most the limit before this frame: what a socket holds stays under the limit plus one frame.
    if (queuedBytes(socket, this.opts.maxBytes + 1) <= this.opts.maxBytes) return true;
    this.markBehind(socket);
    this.opts.onSkipped?.();
    return false;
  }

  /** Forgets every socket (the adapter closes). */
  clear(): void {
    for (const socket of [...this.behind.keys()]) this.forget(socket);
  }

  private markBehind(socket: Socket): void {
    const transport = connOf(socket).transport;
    const onDrain = () => void this.recoverIfDrained(socket);
    const onDisconnect = () => this.forget(socket);
    this.behind.set(socket, { transport, onDrain, onDisconnect });
    transport.on('drain', onDrain);
    socket.once('disconnect', onDisconnect);
    this.opts.onFellBehind?.();
  }

  private recoverIfDrained(socket: Socket): boolean {
    if (!socket.connected) {
      this.forget(socket);
      return false;
    }
    if (queuedBytes(socket, this.lowWater) >= this.lowWater) return false;
    this.forget(socket);
    (socket as unknown as { emit(event: string, payload: unknown): void }).emit('sync:required', { reason: 'fell_behind' });
    return true;
  }

  private forget(socket: Socket): void {
    const state = this.behind.get(socket);
    if (!state) return;
    this.behind.delete(socket);
    state.transport.off('drain', state.onDrain);
    socket.off('disconnect', state.onDisconnect);
  }
}
