import { createAdapter, RedisAdapter, type RedisAdapterOptions } from '@socket.io/redis-adapter';
import type { Socket } from 'socket.io';
import { FanoutQueue } from './fanout-queue';

type BroadcastOptions = Parameters<RedisAdapter['broadcast']>[1];
type Packet = Parameters<RedisAdapter['broadcast']>[0];

/**
 * The two methods this adapter hooks, private in the libraries' typings (socket.io-adapter 2.5,
 * @socket.io/redis-adapter 8.3): `apply` resolves the sockets of a broadcast (or of fetchSockets, joins,
 * disconnects, acks) and calls back for each; `onmessage` handles a broadcast arriving from Redis, ending in
 * the in-memory adapter's `broadcast`, which encodes the packet once and writes it through `apply`.
 */
interface RedisAdapterWithInternals extends Omit<RedisAdapter, 'broadcast' | 'close'> {
  apply(opts: BroadcastOptions, callback: (socket: Socket) => void): void;
  onmessage(pattern: unknown, channel: Buffer | string, message: Buffer): void;
  broadcast(packet: Packet, opts: BroadcastOptions): void;
  close(): Promise<void> | void;
}
const HookableRedisAdapter = RedisAdapter as unknown as new (
  nsp: unknown,
  pub: unknown,
  sub: unknown,
  opts?: Partial<RedisAdapterOptions>,
) => RedisAdapterWithInternals;

export interface FanoutOptions {
  /** Socket writes per turn of the event loop; 0 = every broadcast written at once (the plain Redis adapter). */
  chunkSockets: number;
  /** A socket write that threw (logged; the other sockets still get their frames). */
  onError: (err: unknown) => void;
}

/**
 * The Redis adapter, with broadcasts written to this node's sockets in chunks that yield to the event loop
 * (`FanoutQueue`), so one big or many quick broadcasts no longer hold up health checks and new connections.
 *
 * - Every broadcast — arriving from Redis or emitted on this node — is encoded once and its recipients are
 *   fixed when it arrives (rooms, `except`, `flags.local` and `volatile` resolved by the base `apply`, as before);
 *   a socket that joins later gets that state from its join snapshot, read after the join. A socket gone by the
 *   time its turn comes is skipped.
 * - Broadcasts are written in arrival order (FIFO per node), so no socket ever gets them out of order.
 * - Anything else that walks the room's sockets (broadcasts with acks, fetchSockets, remote joins, leaves and
 *   disconnects) first writes what is queued, so it never overtakes an earlier broadcast (`session:ended` is
 *   written before the sockets of the ended session are disconnected).
 */
export class YieldingFanoutAdapter extends HookableRedisAdapter {
  private readonly fanout: FanoutQueue<Socket>;
  /** Set while a broadcast runs: the next `apply` is its delivery, to be queued. */
  private deferNext = false;

  constructor(nsp: unknown, pub: unknown, sub: unknown, opts: Partial<RedisAdapterOptions>, fanout: FanoutOptions) {
    super(nsp, pub, sub, opts);
    this.fanout = new FanoutQueue<Socket>(fanout.chunkSockets, fanout.onError);
  }

  /** Socket writes per turn of the event loop. */
  get chunkSockets(): number {
    return this.fanout.chunk;
  }

  /** Socket writes waiting for a later turn of the event loop. */
  get pendingWrites(): number {
    return this.fanout.pending;
  }

  override onmessage(pattern: unknown, channel: Buffer | string, message: Buffer): void {
    this.deferDelivery(() => super.onmessage(pattern, channel, message));
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    this.deferDelivery(() => super.broadcast(packet, opts));
  }

  override apply(opts: BroadcastOptions, callback: (socket: Socket) => void): void {
    if (!this.deferNext) {
      this.fanout.flush();
      return super.apply(opts, callback);
    }
    this.deferNext = false;
    if (this.fanout.fits(this.recipientsAtMost(opts))) {
      let written = 0;
      super.apply(opts, (socket) => {
        written += 1;
        callback(socket);
      });
      return this.fanout.spent(written);
    }
    const targets: Socket[] = [];
    super.apply(opts, (socket) => targets.push(socket));
    this.fanout.push(targets, (socket) => {
      if (socket.connected) callback(socket);
    });
  }

  override close(): Promise<void> | void {
    this.fanout.clear();
    return super.close();
  }

  private deferDelivery(run: () => void): void {
    this.deferNext = true;
    try {
      run();
    } finally {
      // Reset even when the broadcast ended early (a room with no socket here, another namespace).
      this.deferNext = false;
    }
  }

  private recipientsAtMost(opts: BroadcastOptions): number {
    if (opts.rooms.size === 0) return this.sids.size;
    let n = 0;
    for (const room of opts.rooms) n += this.rooms.get(room)?.size ?? 0;
    return n;
  }
}

/** The Socket.IO adapter factory: the yielding fan-out, or the plain Redis adapter when `chunkSockets` is 0. */
export function createFanoutAdapter(
  pub: unknown,
  sub: unknown,
  opts: Partial<RedisAdapterOptions>,
  fanout: FanoutOptions,
): (nsp: unknown) => RedisAdapter {
  if (fanout.chunkSockets === 0) return createAdapter(pub, sub, opts);
  // Socket.IO calls the factory with `new`, so not an arrow function. It is a RedisAdapter at run time; its type
  // only lacks the base classes' private members (the hooks above).
  return function fanoutAdapter(nsp: unknown) {
    return new YieldingFanoutAdapter(nsp, pub, sub, opts, fanout) as unknown as RedisAdapter;
  };
}
