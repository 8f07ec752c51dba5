import { BATCHED_EVENTS, type BatchedEventName, type ServerEventPayload } from '@taskflow/events';

/** One dashboard-room event, as a `dashboard:batch` item carries it. */
export type BatchItem = { [E in BatchedEventName]: { event: E; payload: ServerEventPayload<E> } }[BatchedEventName];

const BATCHED: ReadonlySet<string> = new Set(BATCHED_EVENTS);

/** Whether a broadcast's event may wait in a room's batch. */
export function isBatchedEvent(event: unknown): event is BatchedEventName {
  return typeof event === 'string' && BATCHED.has(event);
}

interface RoomState {
  /** When the room's batching sockets were last written to (leading edge or a flushed batch). */
  lastAt: number;
  pending: BatchItem[] | undefined;
  /** When the pending batch goes: the window's end, or the end of this turn of the event loop (a leading edge). */
  timer: { kind: 'window'; handle: NodeJS.Timeout } | { kind: 'turn'; handle: NodeJS.Immediate } | undefined;
}

function cancel(timer: RoomState['timer']): void {
  if (timer?.kind === 'window') clearTimeout(timer.handle);
  else if (timer?.kind === 'turn') clearImmediate(timer.handle);
}

export interface RoomBatcherOptions {
  /**
   * At most one frame per room per window for batching sockets; the first event after a quiet window goes at the end
   * of the loop's turn.
   * A function is read at each event (`BatchWindow`: wider while the node is behind).
   */
  windowMs: number | (() => number);
  /** Writes a room's pending items (in order, superseded ones left out) to its batching sockets. */
  write: (room: string, items: BatchItem[]) => void;
  now?: () => number;
}

/** Past this many rooms, quiet ones (nothing pending, window over) are forgotten: they behave as never seen. */
const SWEEP_AT = 1_000;

/**
 * Per room, a leading-edge window: the first dashboard event after a quiet window goes out at the end of the
 * event loop's current turn, with whatever else the same read from Redis brought for the room (a transition's
 * row and counts, a new task's `task:created`, are published in one MULTI), as one frame and without waiting
 * for a timer (no added latency at low load); events arriving within the window after it wait and go out
 * together when it ends, as one frame. Inside a waiting batch a row is replaced by a later row of the same task
 * and a count event by a later one of the same scope (each moved to the end, so what was received last is
 * applied last): a dashboard row carries the task's latest state. Task rooms never come here.
 */
export class RoomBatcher {
  private readonly rooms = new Map<string, RoomState>();
  private readonly now: () => number;
  private readonly windowMs: () => number;

  constructor(private readonly opts: RoomBatcherOptions) {
    const windowMs = opts.windowMs;
    if (typeof windowMs === 'number' && !(windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${windowMs}`);
    this.windowMs = typeof windowMs === 'number' ? () => windowMs : windowMs;
    this.now = opts.now ?? Date.now;
  }

  /** Rooms with a batch waiting. */
  get pendingRooms(): number {
    let n = 0;
    for (const r of this.rooms.values()) if (r.pending) n += 1;
    return n;
  }

  /**
   * Takes an event for a room's batching sockets into the room's batch: written at the end of this turn when the
   * window had passed (a leading edge), else when the window ends. Every other socket gets the event at once.
   */
  offer(room: string, item: BatchItem): void {
    const now = this.now();
    let state = this.rooms.get(room);
    if (!state) {
      if (this.rooms.size >= SWEEP_AT) this.sweep(now);
      state = { lastAt: -Infinity, pending: undefined, timer: undefined };
      this.rooms.set(room, state);
    }
    const windowMs = this.windowMs();
    if (!state.pending) {
      state.pending = [];
      const wait = state.lastAt + windowMs - now;
      state.timer =
        wait <= 0
          ? { kind: 'turn', handle: setImmediate(() => this.flush(room)) }
          : { kind: 'window', handle: setTimeout(() => this.flush(room), wait) };
    }
    addSuperseding(state.pending, item);
  }

  /** Writes the room's waiting batch now: before anything else is delivered to the room, so nothing overtakes it. */
  flush(room: string): void {
    const state = this.rooms.get(room);
    if (!state?.pending) return;
    const items = state.pending;
    cancel(state.timer);
    state.pending = undefined;
    state.timer = undefined;
    state.lastAt = this.now();
    this.opts.write(room, items);
  }

  /** Writes every waiting batch (a broadcast to every socket of the node must not overtake them). */
  flushAll(): void {
    for (const [room, state] of this.rooms) if (state.pending) this.flush(room);
  }

  /** Drops everything (the namespace is closing). */
  clear(): void {
    for (const state of this.rooms.values()) cancel(state.timer);
    this.rooms.clear();
  }

  private sweep(now: number): void {
    const windowMs = this.windowMs();
    for (const [room, state] of this.rooms) if (!state.pending && now - state.lastAt >= windowMs) this.rooms.delete(room);
  }
}

/** Appends `item`, first removing what it supersedes (or dropping it when the batch already holds a newer row). */
export function addSuperseding(pending: BatchItem[], item: BatchItem): void {
  if (item.event === 'dashboard:task_list_updated') {
    const i = pending.findIndex((p) => p.event === item.event && p.payload.taskId === item.payload.taskId);
    if (i >= 0) {
      if ((pending[i]!.payload as { seq: number }).seq > item.payload.seq) return;
      pending.splice(i, 1);
    }
  } else if (item.event === 'dashboard:task_count_changed') {
    const i = pending.findIndex((p) => p.event === item.event && p.payload.scope === item.payload.scope);
    if (i >= 0) pending.splice(i, 1);
  }
  pending.push(item);
}
