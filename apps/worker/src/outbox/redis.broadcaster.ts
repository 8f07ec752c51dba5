import type { Cluster, Redis } from 'ioredis';
import { encode } from 'notepack.io';
import { SOCKET_IO_REDIS_KEY } from '@taskflow/events';
import { activeTraceParent } from '@taskflow/platform';
import type { Emit } from './broadcast';

/** How `@socket.io/redis-emitter` signs its messages; the adapters only skip messages carrying their own uid. */
const EMITTER_UID = 'emitter';
/** socket.io-parser's `PacketType.EVENT`. */
const EVENT_PACKET = 2;
/** socket.io-adapter's `MessageType.BROADCAST` (cluster-adapter.ts), what the sharded adapter's messages carry. */
const BROADCAST_MESSAGE = 3;
const NAMESPACE = '/';

/**
 * An Emit to one room, several rooms (a socket in more than one gets it once), or (no room) to every socket,
 * except the sockets in any `except` room; distributed, so each event keeps its own payload type.
 */
type Targeted<E> = E extends Emit ? Omit<E, 'room'> & { room?: string | readonly string[]; except?: readonly string[] } : never;
export type Broadcast = Targeted<Emit>;

export interface EncodedBroadcast {
  channel: string;
  message: Buffer;
}

function targets(emit: Broadcast): { rooms: string[]; except: string[] } {
  const rooms = emit.room === undefined ? [] : typeof emit.room === 'string' ? [emit.room] : [...emit.room];
  return { rooms, except: [...(emit.except ?? [])] };
}

/**
 * One broadcast exactly as `@socket.io/redis-emitter` 5 encodes it (msgpack of
 * `[uid, packet, opts]`) on the channel `@socket.io/redis-adapter` listens to:
 * `<key>#/#` for everyone, `<key>#/#<room>#` for a single room, so a node
 * without sockets in that room never decodes it.
 */
export function encodeBroadcast(emit: Broadcast, key = SOCKET_IO_REDIS_KEY, traceParent?: string): EncodedBroadcast {
  const { rooms, except } = targets(emit);
  const packet = { type: EVENT_PACKET, data: [emit.event, emit.payload], nsp: NAMESPACE };
  const opts = { rooms, flags: {}, except, ...traced(traceParent) };
  const channel = `${key}#${NAMESPACE}#${rooms.length === 1 ? `${rooms[0]}#` : ''}`;
  return { channel, message: encode([EMITTER_UID, packet, opts]) };
}

/**
 * The publishing span's W3C traceparent (tracing on), beside the adapter's options: the adapters read only `rooms`,
 * `except` and `flags`, and the receiving node's tap continues the trace (broadcast-tap.ts). Nothing while off, so the
 * bytes are then exactly the emitter's.
 */
const traced = (traceParent: string | undefined) => (traceParent ? { traceparent: traceParent } : {});

/** The sharded adapter's test for a socket's private room (a 20-character id): those go on the namespace's channel. */
function looksLikeASocketId(room: string): boolean {
  return room.length === 20;
}

/**
 * One broadcast exactly as `createShardedAdapter` (@socket.io/redis-adapter 8.3, `subscriptionMode: 'dynamic'`)
 * publishes it: a socket.io-adapter ClusterMessage `{type: BROADCAST, data: {packet, opts}, uid, nsp}` in JSON (the
 * adapter uses msgpack only for binary data, which no event of ours carries), for `SPUBLISH` on
 * `<key>#/#<room>#` when it targets one room (only nodes hosting the room subscribe to it), else on `<key>#/#`,
 * which every node subscribes to: one message for several rooms, so a socket in two of them gets it once.
 * `uid` is the sender's: the adapter drops its own messages only.
 */
export function encodeShardedBroadcast(
  emit: Broadcast,
  key = SOCKET_IO_REDIS_KEY,
  uid = EMITTER_UID,
  traceParent?: string,
): EncodedBroadcast {
  const { rooms, except } = targets(emit);
  const message = {
    type: BROADCAST_MESSAGE,
    data: { packet: { type: EVENT_PACKET, data: [emit.event, emit.payload] }, opts: { rooms, except, flags: {}, ...traced(traceParent) } },
    uid,
    nsp: NAMESPACE,
  };
  const channel = `${key}#${NAMESPACE}#${rooms.length === 1 && !looksLikeASocketId(rooms[0]!) ? `${rooms[0]}#` : ''}`;
  return { channel, message: Buffer.from(JSON.stringify(message)) };
}

type Results = Array<[Error | null, unknown]> | null;

function check(results: Results): void {
  if (!results) throw new Error('Redis discarded the broadcast transaction');
  const failed = results.find(([err]) => err);
  if (failed) throw failed[0] as Error;
}

/**
 * Publishes broadcasts to every Socket.IO node and resolves only once Redis has
 * acknowledged them: unlike the fire-and-forget emitter, a failure (Redis down,
 * stalled past the client's `commandTimeout`) rejects, so the caller can leave
 * the outbox row for the sweep. One MULTI per batch keeps the batch in order and
 * makes it all-or-nothing while the connection drops.
 */
export class RedisBroadcaster {
  constructor(
    private readonly redis: Redis,
    private readonly key = SOCKET_IO_REDIS_KEY,
  ) {}

  async publish(emits: readonly Broadcast[]): Promise<void> {
    if (emits.length === 0) return;
    const traceParent = activeTraceParent();
    const multi = this.redis.multi();
    for (const emit of emits) {
      const { channel, message } = encodeBroadcast(emit, this.key, traceParent);
      multi.publish(channel, message);
    }
    check(await multi.exec());
  }
}

/**
 * The same for nodes on the sharded adapter (Redis Cluster, or a single Redis ≥ 7): `SPUBLISH`, which Redis routes
 * to the shard that owns the channel's slot, and each node receives only the rooms it hosts. One MULTI per channel
 * (one slot, so one shard, which a transaction needs) keeps each room's broadcasts in order, and all-or-nothing;
 * the channels of a batch go out at once. A batch that fails on one channel after another took its part rejects
 * as a whole: the sweep publishes all of it again, and clients drop what they already had by seq.
 */
export class ShardedRedisBroadcaster {
  constructor(
    private readonly redis: Cluster | Redis,
    private readonly key = SOCKET_IO_REDIS_KEY,
  ) {}

  async publish(emits: readonly Broadcast[]): Promise<void> {
    const byChannel = new Map<string, Buffer[]>();
    const traceParent = activeTraceParent();
    for (const emit of emits) {
      const { channel, message } = encodeShardedBroadcast(emit, this.key, EMITTER_UID, traceParent);
      const messages = byChannel.get(channel);
      if (messages) messages.push(message);
      else byChannel.set(channel, [message]);
    }
    const sent = await Promise.allSettled(
      [...byChannel].map(async ([channel, messages]) => {
        const multi = this.redis.multi();
        for (const message of messages) multi.spublish(channel, message);
        check(await multi.exec());
      }),
    );
    const failed = sent.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
