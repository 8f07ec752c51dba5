import { createAdapter, createShardedAdapter, RedisAdapter, type RedisAdapterOptions } from '@socket.io/redis-adapter';
import type { Socket } from 'socket.io';
import { FanoutQueue } from './fanout-queue';
import { OutboundLimit } from './outbound-limit';
import { BatchWindow } from './batch-window';
import { isBatchedEvent, RoomBatcher, type BatchItem } from './room-batcher';

type BroadcastOptions = Parameters<RedisAdapter['broadcast']>[1];
type Packet = Parameters<RedisAdapter['broadcast']>[0];

/**
 * The two methods this adapter hooks, private in the libraries' typings (socket.io-adapter 2.5,
 * @socket.io/redis-adapter 8.3): `apply` resolves the sockets of a broadcast (or of fetchSockets, joins,
 * disconnects, acks) and calls back for each; `onmessage` handles a broadcast arriving from Redis, ending in
 * the in-memory adapter's `broadcast`, which encodes the packet once and writes it through `apply`.
 */
interface RedisAdapterWithInternals extends Omit<RedisAdapter, 'broadcast' | 'close' | 'addAll'> {
  apply(opts: BroadcastOptions, callback: (socket: Socket) => void): void;
  addAll(id: string, rooms: Set<string>): Promise<void> | void;
  _encode(packet: Packet, packetOpts: Record<string, unknown>): unknown[];
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

/** The in-memory adapter's broadcast (encode once, write to each recipient): RedisAdapter's own also publishes. */
const localBroadcast = (Object.getPrototypeOf(RedisAdapter.prototype) as { broadcast: (packet: Packet, opts: BroadcastOptions) => void })
  .broadcast;

/** Socket.IO's EVENT packet type. */
const EVENT = 2;

export interface FanoutOptions {
  /** Socket writes per turn of the event loop; 0 = every broadcast written at once. */
  chunkSockets: number;
  /**
   * Dashboard-room events for sockets that joined with `batch: true` wait at most this long to share one frame
   * (`dashboard:batch`); 0 = every event its own frame. The first event after a quiet window waits for no timer: it
   * goes at the end of the event loop's turn, with what else that turn brought for the room.
   */
  batchWindowMs?: number;
  /**
   * While the node's event loop is behind, the window widens up to this (`BatchWindow`); unset or not above
   * `batchWindowMs` = a fixed window.
   */
  batchMaxWindowMs?: number;
  /**
   * Bytes a socket may hold queued before broadcasts to it are skipped until it drains (`OutboundLimit`); 0 or unset =
   * unbounded, as plain Socket.IO.
   */
  maxBufferedBytes?: number;
  /** A socket went past `maxBufferedBytes`. */
  onFellBehind?: () => void;
  /** A broadcast was not written to a socket that is behind. */
  onSkipped?: () => void;
  /** A socket write that threw (logged; the other sockets still get their frames). */
  onError: (err: unknown) => void;
}

/** What the next `apply` of a broadcast is for. */
type Delivery = { kind: 'broadcast'; packet: Packet | undefined } | { kind: 'batch' };

/** What the hooks need of the adapter they are installed on: its own (unhooked) `apply`, and its rooms. */
interface HookedAdapter {
  /** The base adapter's `apply`, not the hooked one. */
  baseApply(opts: BroadcastOptions, callback: (socket: Socket) => void): void;
  /** The in-memory adapter's broadcast on this adapter (it calls back into the hooked `_encode` and `apply`). */
  localBroadcast(packet: Packet, opts: BroadcastOptions): void;
  readonly sids: Map<string, Set<string>>;
  readonly rooms: Map<string, Set<string>>;
}

/**
 * The fan-out features (chunks that yield, room batches, the outbound limit) for either Redis adapter: the classic one
 * (`YieldingFanoutAdapter`) and the sharded one of a Redis Cluster (`createShardedFanoutAdapter`). The adapter calls
 * `deliver` around each broadcast it writes to local sockets (received or emitted here), `encoding` from `_encode`,
 * and `apply` instead of its own.
 */
export class FanoutHooks {
  private readonly fanout: FanoutQueue<Socket> | undefined;
  private readonly batcher: RoomBatcher | undefined;
  private readonly window: BatchWindow | undefined;
  private readonly limit: OutboundLimit | undefined;
  /** Set while a broadcast runs: the next `apply` is its delivery, to be queued (and maybe batched). */
  private next: Delivery | undefined;

  constructor(
    private readonly adapter: HookedAdapter,
    fanout: FanoutOptions,
  ) {
    if (fanout.chunkSockets > 0) this.fanout = new FanoutQueue<Socket>(fanout.chunkSockets, fanout.onError);
    const windowMs = fanout.batchWindowMs ?? 0;
    if ((fanout.maxBufferedBytes ?? 0) > 0) {
      this.limit = new OutboundLimit({
        maxBytes: fanout.maxBufferedBytes!,
        onFellBehind: fanout.onFellBehind,
        onSkipped: fanout.onSkipped,
      });
    }
    if (windowMs > 0) {
      const maxMs = fanout.batchMaxWindowMs ?? 0;
      if (maxMs > windowMs) this.window = new BatchWindow({ minMs: windowMs, maxMs });
      const window = this.window;
      this.batcher = new RoomBatcher({
        windowMs: window ? () => window.ms : windowMs,
        write: (room, items) => this.writeBatch(room, items),
      });
    }
  }

  get chunkSockets(): number {
    return this.fanout?.chunk ?? 0;
  }

  get pendingWrites(): number {
    return this.fanout?.pending ?? 0;
  }

  get maxBufferedBytes(): number {
    return this.limit?.maxBytes ?? 0;
  }

  get socketsBehind(): number {
    return this.limit?.behindNow ?? 0;
  }

  get batching(): boolean {
    return this.batcher !== undefined;
  }

  /** Runs a broadcast's local delivery: the `apply` it makes is that delivery. */
  deliver(run: () => void): void {
    this.deliverNext({ kind: 'broadcast', packet: undefined }, run);
  }

  // The base broadcast encodes the packet right before it resolves the recipients: the packet the next apply is for.
  encoding(packet: Packet): void {
    if (this.next?.kind === 'broadcast') this.next.packet = packet;
  }

  apply(opts: BroadcastOptions, callback: (socket: Socket) => void): void {
    const delivery = this.next;
    if (!delivery) {
      // A broadcast with acks (or a fetch, a remote join or leave) must not overtake what waits: written first.
      this.batcher?.flushAll();
      this.fanout?.flush();
      return this.adapter.baseApply(opts, callback);
    }
    this.next = undefined;
    if (delivery.kind === 'batch') return this.write(opts, callback, (socket) => socket.data.batch === true);
    if (this.batcher) {
      const room = soleRoom(opts);
      const item = room === undefined ? undefined : batchItemOf(delivery.packet);
      if (room !== undefined && item) {
        // Taken into the room's batch for the sockets that asked; everyone else gets it now.
        this.batcher.offer(room, item);
        return this.write(opts, callback, (socket) => socket.data.batch !== true);
      }
      // Anything else for a room goes after the room's waiting batch.
      if (opts.rooms.size === 0) this.batcher.flushAll();
      else for (const r of opts.rooms) if (r !== room || !item) this.batcher.flush(r);
    }
    this.write(opts, callback);
  }

  /**
   * A socket is joining these rooms: what waits in their batches arrived before it and goes out now, to the sockets
   * that were there. A broadcast's recipients are then always those in the room when it arrived, batched or not, and
   * what arrived before a join is the join snapshot's to cover (DashboardSnapshots sends it after the snapshot).
   */
  joining(rooms: Set<string>): void {
    if (this.batcher) for (const room of rooms) this.batcher.flush(room);
  }

  close(): void {
    this.fanout?.clear();
    this.batcher?.clear();
    this.window?.stop();
    this.limit?.clear();
  }

  /** Writes one broadcast to its recipients (those `only` keeps): at once, or queued in chunks. */
  private write(opts: BroadcastOptions, write: (socket: Socket) => void, only?: (socket: Socket) => boolean): void {
    const limit = this.limit;
    // The buffer is looked at when the frame is written (a queued chunk's turn may come much later).
    const callback = limit ? (socket: Socket) => void (limit.admit(socket) && write(socket)) : write;
    const send = only ? (socket: Socket) => void (only(socket) && callback(socket)) : callback;
    if (!this.fanout) return this.adapter.baseApply(opts, send);
    if (this.fanout.fits(this.recipientsAtMost(opts))) {
      let written = 0;
      this.adapter.baseApply(opts, (socket) => {
        written += 1;
        send(socket);
      });
      return this.fanout.spent(written);
    }
    const targets: Socket[] = [];
    this.adapter.baseApply(opts, (socket) => {
      if (!only || only(socket)) targets.push(socket);
    });
    this.fanout.push(targets, (socket) => {
      if (socket.connected) callback(socket);
    });
  }

  /** A room's waiting batch, as one frame to its batching sockets (a single item as its own event). */
  private writeBatch(room: string, items: BatchItem[]): void {
    const data = items.length === 1 ? [items[0]!.event, items[0]!.payload] : ['dashboard:batch', { items }];
    const packet = { type: EVENT, data, nsp: '/' } as unknown as Packet;
    this.deliverNext({ kind: 'batch' }, () =>
      this.adapter.localBroadcast(packet, { rooms: new Set([room]), except: new Set<string>(), flags: {} }),
    );
  }

  private deliverNext(delivery: Delivery, run: () => void): void {
    const outer = this.next;
    this.next = delivery;
    try {
      run();
    } finally {
      // Reset even when the broadcast ended early (a room with no socket here, another namespace).
      this.next = outer;
    }
  }

  private recipientsAtMost(opts: BroadcastOptions): number {
    if (opts.rooms.size === 0) return this.adapter.sids.size;
    let n = 0;
    for (const room of opts.rooms) n += this.adapter.rooms.get(room)?.size ?? 0;
    return n;
  }
}

/**
 * The Redis adapter, with ways of writing broadcasts to this node's sockets that plain Socket.IO lacks:
 *
 * - **Chunks that yield** (`chunkSockets` > 0, `FanoutQueue`): at most that many socket writes per turn of the
 *   event loop, so one big or many quick broadcasts no longer hold up health checks and new connections.
 * - **Batches** (`batchWindowMs` > 0, `RoomBatcher`): a dashboard-room event (`BATCHED_EVENTS`) that arrives within
 *   the window after the room's last frame waits, for the sockets that joined with `batch: true`, and goes out with
 *   the others of the window as one `dashboard:batch` frame (encoded once for the room); one after a quiet window
 *   goes at the end of the loop's turn, with the rest of its Redis read (a row and its counts: one frame). Other sockets get each
 *   event at once, as before. Anything else delivered to a room first writes the room's waiting batch.
 * - **A bounded buffer per socket** (`maxBufferedBytes` > 0, `OutboundLimit`): a socket that reads too slowly stops
 *   getting broadcasts until it drains, then is told `sync:required {reason: 'fell_behind'}` and catches up.
 *
 * Either way every broadcast — arriving from Redis or emitted on this node — is encoded once and its recipients are
 * fixed when it arrives (rooms, `except`, `flags.local` and `volatile` resolved by the base `apply`); a socket that
 * joins later gets that state from its join snapshot, read after the join. A socket gone by the time its turn comes
 * is skipped. Broadcasts are written in arrival order (FIFO per node), so no socket gets them out of order. Anything
 * else that walks the room's sockets (broadcasts with acks, fetchSockets, remote joins, leaves and disconnects)
 * first writes what is queued, so it never overtakes an earlier broadcast (`session:ended` is written before the
 * sockets of the ended session are disconnected). The same hooks (`FanoutHooks`) serve the sharded adapter.
 */
export class YieldingFanoutAdapter extends HookableRedisAdapter {
  private readonly hooks: FanoutHooks;

  constructor(nsp: unknown, pub: unknown, sub: unknown, opts: Partial<RedisAdapterOptions>, fanout: FanoutOptions) {
    super(nsp, pub, sub, opts);
    this.hooks = new FanoutHooks(
      {
        baseApply: (o, cb) => super.apply(o, cb),
        localBroadcast: (packet, o) => localBroadcast.call(this, packet, o),
        sids: this.sids,
        rooms: this.rooms,
      },
      fanout,
    );
  }

  /** Socket writes per turn of the event loop (0: at once). */
  get chunkSockets(): number {
    return this.hooks.chunkSockets;
  }

  /** Socket writes waiting for a later turn of the event loop. */
  get pendingWrites(): number {
    return this.hooks.pendingWrites;
  }

  /** Bytes a socket may hold queued before broadcasts skip it (0: unbounded). */
  get maxBufferedBytes(): number {
    return this.hooks.maxBufferedBytes;
  }

  /** Sockets skipped by broadcasts right now (past `maxBufferedBytes`, not yet drained). */
  get socketsBehind(): number {
    return this.hooks.socketsBehind;
  }

  /** Whether dashboard-room events are batched for the sockets that ask. */
  get batching(): boolean {
    return this.hooks.batching;
  }

  override onmessage(pattern: unknown, channel: Buffer | string, message: Buffer): void {
    this.hooks.deliver(() => super.onmessage(pattern, channel, message));
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    this.hooks.deliver(() => super.broadcast(packet, opts));
  }

  override _encode(packet: Packet, packetOpts: Record<string, unknown>): unknown[] {
    this.hooks.encoding(packet);
    return super._encode(packet, packetOpts);
  }

  override apply(opts: BroadcastOptions, callback: (socket: Socket) => void): void {
    this.hooks.apply(opts, callback);
  }

  override addAll(id: string, rooms: Set<string>): Promise<void> | void {
    this.hooks.joining(rooms);
    return super.addAll(id, rooms);
  }

  override close(): Promise<void> | void {
    this.hooks.close();
    return super.close();
  }
}

/** The one room a broadcast goes to, with nobody excepted: what may be batched. */
function soleRoom(opts: BroadcastOptions): string | undefined {
  if (opts.rooms.size !== 1 || (opts.except && opts.except.size > 0)) return undefined;
  return opts.rooms.values().next().value;
}

/** A broadcast packet of a batched event, as a batch item (`undefined`: not one). */
function batchItemOf(packet: Packet | undefined): BatchItem | undefined {
  const data = (packet as { type?: number; id?: number; data?: unknown[] } | undefined) ?? undefined;
  if (!data || data.type !== EVENT || data.id !== undefined || !Array.isArray(data.data) || data.data.length !== 2) return undefined;
  const [event, payload] = data.data;
  return isBatchedEvent(event) ? ({ event, payload } as BatchItem) : undefined;
}

/** The Socket.IO adapter factory: the plain Redis adapter when neither chunks, batches nor a buffer limit are on. */
export function createFanoutAdapter(
  pub: unknown,
  sub: unknown,
  opts: Partial<RedisAdapterOptions>,
  fanout: FanoutOptions,
): (nsp: unknown) => RedisAdapter {
  if (fanout.chunkSockets === 0 && !fanout.batchWindowMs && !fanout.maxBufferedBytes) return createAdapter(pub, sub, opts);
  // Socket.IO calls the factory with `new`, so not an arrow function. It is a RedisAdapter at run time; its type
  // only lacks the base classes' private members (the hooks above).
  return function fanoutAdapter(nsp: unknown) {
    return new YieldingFanoutAdapter(nsp, pub, sub, opts, fanout) as unknown as RedisAdapter;
  };
}

/** The sharded adapter's options this app sets (`@socket.io/redis-adapter`'s ShardedRedisAdapterOptions). */
export interface ShardedFanoutOptions {
  channelPrefix: string;
  /** `dynamic`: a node SSUBSCRIBEs to a room's channel only while it hosts a socket in the room. */
  subscriptionMode: 'static' | 'dynamic' | 'dynamic-private';
}

/** The sharded adapter's methods the hooks wrap (socket.io-adapter 2.5's ClusterAdapter; private in its typings). */
interface ShardedAdapterInternals {
  readonly sids: Map<string, Set<string>>;
  readonly rooms: Map<string, Set<string>>;
  apply(opts: BroadcastOptions, callback: (socket: Socket) => void): void;
  addAll(id: string, rooms: Set<string>): Promise<void> | void;
  _encode(packet: Packet, packetOpts: Record<string, unknown>): unknown[];
  onMessage(message: { type: number; data?: { requestId?: string } }, offset?: string): void;
  broadcast(packet: Packet, opts: BroadcastOptions): Promise<void>;
  publishAndReturnOffset(message: { type: number; data: unknown }): Promise<string>;
  close(): Promise<void> | void;
}

/** socket.io-adapter's ClusterAdapter message type of a broadcast. */
const BROADCAST_MESSAGE = 3;

const shardedHooks = new WeakMap<object, FanoutHooks>();

/** The fan-out hooks of a sharded adapter made by `createShardedFanoutAdapter` (undefined: a plain one). */
export function shardedFanoutHooks(adapter: unknown): FanoutHooks | undefined {
  return shardedHooks.get(adapter as object);
}

/**
 * The Socket.IO adapter of `REDIS_MODE=cluster`: `@socket.io/redis-adapter`'s sharded adapter (SPUBLISH/SSUBSCRIBE, so
 * a broadcast reaches only the master of its channel's slot and, with `dynamic`, only the nodes hosting the room),
 * with the same fan-out features as `createFanoutAdapter`. The library does not export its class, so the hooks are
 * installed on each instance: a broadcast received from Redis goes `onMessage` → the in-memory adapter's `broadcast`
 * → `_encode` and `apply`; one emitted here is published, then delivered locally the same way.
 */
export function createShardedFanoutAdapter(
  pub: unknown,
  sub: unknown,
  opts: ShardedFanoutOptions,
  fanout: FanoutOptions,
): (nsp: unknown) => RedisAdapter {
  const sharded = createShardedAdapter(pub, sub, opts) as unknown as (nsp: unknown) => ShardedAdapterInternals;
  const plain = fanout.chunkSockets === 0 && !fanout.batchWindowMs && !fanout.maxBufferedBytes;
  // Socket.IO calls the factory with `new`: an object returned from a function called so is the result.
  return function shardedFanoutAdapter(nsp: unknown) {
    const adapter = sharded(nsp);
    if (!plain) installHooks(adapter, fanout);
    return adapter as unknown as RedisAdapter;
  };
}

function installHooks(adapter: ShardedAdapterInternals, fanout: FanoutOptions): void {
  const baseApply = adapter.apply.bind(adapter);
  const baseEncode = adapter._encode.bind(adapter);
  const baseOnMessage = adapter.onMessage.bind(adapter);
  const baseClose = adapter.close.bind(adapter);
  const hooks = new FanoutHooks(
    {
      baseApply,
      localBroadcast: (packet, o) => localBroadcast.call(adapter, packet, o),
      sids: adapter.sids,
      rooms: adapter.rooms,
    },
    fanout,
  );
  shardedHooks.set(adapter, hooks);
  adapter.apply = (o, callback) => hooks.apply(o, callback);
  const baseAddAll = adapter.addAll.bind(adapter);
  adapter.addAll = (id, rooms) => {
    hooks.joining(rooms);
    return baseAddAll(id, rooms);
  };
  adapter._encode = (packet, packetOpts) => {
    hooks.encoding(packet);
    return baseEncode(packet, packetOpts);
  };
  // Only a broadcast without acks is delivered through the hooks; joins, fetches and acks walk the sockets as before.
  adapter.onMessage = (message, offset) => {
    if (message.type === BROADCAST_MESSAGE && message.data?.requestId === undefined) hooks.deliver(() => baseOnMessage(message, offset));
    else baseOnMessage(message, offset);
  };
  // ClusterAdapter.broadcast, with its local part through the hooks (this app keeps no offsets: no connection state recovery).
  adapter.broadcast = async (packet, o) => {
    if (!o.flags?.local) {
      try {
        await adapter.publishAndReturnOffset({
          type: BROADCAST_MESSAGE,
          data: { packet, opts: { rooms: [...o.rooms], except: [...(o.except ?? [])], flags: o.flags } },
        });
      } catch (err) {
        fanout.onError(err);
      }
    }
    hooks.deliver(() => localBroadcast.call(adapter, packet, o));
  };
  adapter.close = () => {
    hooks.close();
    return baseClose();
  };
}
