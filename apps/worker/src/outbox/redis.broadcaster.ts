import type { Redis } from 'ioredis';
import { encode } from 'notepack.io';
import { SOCKET_IO_REDIS_KEY } from '@taskflow/events';
import type { Emit } from './broadcast';

/** How `@socket.io/redis-emitter` signs its messages; the adapter only skips messages carrying its own uid. */
const EMITTER_UID = 'emitter';
/** socket.io-parser's `PacketType.EVENT`. */
const EVENT_PACKET = 2;
const NAMESPACE = '/';

/** An Emit to one room, or (no room) to every socket; distributed, so each event keeps its own payload type. */
type Roomless<E> = E extends Emit ? Omit<E, 'room'> & { room?: string } : never;
export type Broadcast = Roomless<Emit>;

export interface EncodedBroadcast {
  channel: string;
  message: Buffer;
}

/**
 * One broadcast exactly as `@socket.io/redis-emitter` 5 encodes it (msgpack of
 * `[uid, packet, opts]`) on the channel `@socket.io/redis-adapter` listens to:
 * `<key>#/#` for everyone, `<key>#/#<room>#` for a single room, so a node
 * without sockets in that room never decodes it.
 */
export function encodeBroadcast(emit: Broadcast, key = SOCKET_IO_REDIS_KEY): EncodedBroadcast {
  const rooms = emit.room === undefined ? [] : [emit.room];
  const packet = { type: EVENT_PACKET, data: [emit.event, emit.payload], nsp: NAMESPACE };
  const opts = { rooms, flags: {}, except: [] };
  const channel = `${key}#${NAMESPACE}#${rooms.length === 1 ? `${rooms[0]}#` : ''}`;
  return { channel, message: encode([EMITTER_UID, packet, opts]) };
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

  async publish(emits: readonly Emit[]): Promise<void> {
    if (emits.length === 0) return;
    const multi = this.redis.multi();
    for (const emit of emits) {
      const { channel, message } = encodeBroadcast(emit, this.key);
      multi.publish(channel, message);
    }
    const results = await multi.exec();
    if (!results) throw new Error('Redis discarded the broadcast transaction');
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0] as Error;
  }
}
