import { Cluster } from 'ioredis';
import type { RedisClient } from '@taskflow/queue';
import { rooms, toDashboardTask, type ServerEventPayload } from '@taskflow/events';
import { countPrivateTasks, countTasks, listTasks, type Db } from '@taskflow/store';
import type { SessionUser } from '../../auth/auth.plugin';
import { addSuperseding, isBatchedEvent, type BatchItem } from '../fanout/room-batcher';

type DashboardState = ServerEventPayload<'dashboard:state'>;
type Viewer = SessionUser;

/** What a joining socket is sent: the snapshot, then the dashboard events that reached the node since it was read. */
export interface DashboardJoinState {
  state: DashboardState;
  /** Oldest first, superseded rows and counts left out (as in a `dashboard:batch`); empty for a fresh read. */
  after: BatchItem[];
}

interface Entry {
  viewerId: string;
  rooms: [org: string, user: string];
  at: number;
  state: Promise<DashboardState>;
  /** Dashboard events to the viewer's rooms that arrived after `from`, with their arrival numbers. */
  tail: Array<{ n: number; item: BatchItem }>;
}

export interface DashboardSnapshotOptions {
  /** How long one read is shared (default 60 s). */
  ttlMs?: number;
  /** Viewers cached at most (default 20,000). */
  maxEntries?: number;
  /** Past this many events since its read, a snapshot is read again (default 200). */
  maxTail?: number;
  onRead?: () => void;
}

/**
 * This node's `dashboard:state` per viewer, so that a user's many tabs joining at once, or all of its sockets
 * coming back after their node died, cost one read, not one each.
 *
 * A snapshot stays usable while things change: the node keeps, with each snapshot, the dashboard events
 * (`task:created`, rows, counts) that reached it for the viewer's org and own rooms since the read began. A
 * socket joins its rooms before it asks, so a later joiner is sent the snapshot plus those of the events that
 * arrived before its join; whatever arrives after its join reaches it live. That is exactly what a socket joined
 * when the read began would have received (clients drop rows they already have by seq), and the events come
 * after the snapshot, so the last counts a socket applies are the newest the node has seen.
 *
 * The events are complete only while the node hears every broadcast to those rooms: while the Redis subscription
 * is interrupted nothing is cached; on a Redis Cluster a node hears a room only while it hosts it, so a snapshot
 * goes when either of its rooms is deleted here. A broadcast that cannot be replayed exactly (one with `except`
 * rooms) drops the snapshots of its rooms. A snapshot is read again after `ttlMs` or `maxTail` events.
 */
export class DashboardSnapshots {
  private readonly entries = new Map<string, Entry>();
  /** Viewers with a snapshot, by room (org and own): whose tails a broadcast to the room extends. */
  private readonly byRoom = new Map<string, Set<string>>();
  /** Numbers every broadcast this node hears (the order of arrival). */
  private arrivals = 0;
  private live: boolean;
  private readonly opts: Required<Omit<DashboardSnapshotOptions, 'onRead'>> & Pick<DashboardSnapshotOptions, 'onRead'>;

  constructor(
    private readonly db: Db,
    sub: RedisClient,
    options: DashboardSnapshotOptions = {},
  ) {
    this.opts = { ttlMs: 60_000, maxEntries: 20_000, maxTail: 200, ...options };
    this.live = sub.status === 'ready';
    if (sub instanceof Cluster) {
      // A sharded subscriber dropped (see resubscribe.ts): broadcasts may be missing until it is replaced.
      let lost = false;
      sub.on('ready', () => {
        if (!lost) this.live = true;
      });
      sub.on('-subscriber', () => {
        lost = true;
        this.live = false;
        this.clear();
      });
      sub.on('subscribersReady', () => {
        lost = false;
        this.clear();
        this.live = sub.status === 'ready';
      });
      return;
    }
    sub.on('close', () => {
      this.live = false;
      this.clear();
    });
    // 'ready' fires before ioredis re-subscribes; a PING queued behind the re-subscription answers once it is in place.
    sub.on('ready', () => {
      void sub.ping().then(
        () => {
          this.clear();
          this.live = true;
        },
        () => undefined,
      );
    });
  }

  /**
   * A broadcast arrived (whether or not this node has sockets in its rooms): its dashboard events extend the
   * snapshots of those rooms; one that cannot be replayed exactly drops them.
   */
  received(broadcastRooms: readonly string[], packet: unknown, except: readonly string[] = []): void {
    const n = ++this.arrivals;
    const [event, payload] = ((packet as { data?: unknown } | undefined)?.data ?? []) as [unknown, unknown];
    if (!isBatchedEvent(event)) return;
    // To every socket of the cluster: which snapshots it concerns is unknown.
    if (broadcastRooms.length === 0) return this.clear();
    // The common case on a busy node: no snapshot is kept for the room (nothing to allocate on this path).
    if (!broadcastRooms.some((room) => this.byRoom.has(room))) return;
    const item = { event, payload } as BatchItem;
    // A snapshot takes a broadcast to both its rooms once.
    const reached = new Set<Entry>();
    for (const room of broadcastRooms) for (const id of this.byRoom.get(room) ?? []) reached.add(this.entries.get(id)!);
    for (const entry of reached) {
      if (except.length > 0 || entry.tail.length >= this.opts.maxTail) this.drop(entry);
      else entry.tail.push({ n, item });
    }
  }

  /** The adapter deleted a room here (its last socket left): on a Redis Cluster the node no longer hears it. */
  roomDeleted(room: string): void {
    for (const id of [...(this.byRoom.get(room) ?? [])]) this.drop(this.entries.get(id)!);
  }

  /**
   * The viewer's dashboard for a socket that has just joined its rooms (call it right after the join): a shared
   * read while one is fresh, and the events the socket missed since.
   */
  async join(viewer: Viewer): Promise<DashboardJoinState> {
    if (!this.live) return { state: await this.read(viewer), after: [] };
    const joinedAt = this.arrivals;
    const hit = this.entries.get(viewer.id);
    if (hit && Date.now() - hit.at < this.opts.ttlMs) {
      // Taken now, before waiting: what arrives after the join reaches the socket live.
      const after: BatchItem[] = [];
      for (const { n, item } of hit.tail) if (n <= joinedAt) addSuperseding(after, item);
      return { state: await hit.state, after };
    }
    if (hit) this.drop(hit);
    if (this.entries.size >= this.opts.maxEntries) this.drop(this.entries.values().next().value as Entry);
    const entry: Entry = {
      viewerId: viewer.id,
      rooms: [rooms.org(viewer.orgId), rooms.userDashboard(viewer.id)],
      at: Date.now(),
      state: this.read(viewer),
      tail: [],
    };
    this.entries.set(viewer.id, entry);
    for (const room of entry.rooms) {
      let viewers = this.byRoom.get(room);
      if (!viewers) this.byRoom.set(room, (viewers = new Set()));
      viewers.add(viewer.id);
    }
    try {
      return { state: await entry.state, after: [] };
    } catch (err) {
      // A failed read is not kept for the next join.
      if (this.entries.get(viewer.id) === entry) this.drop(entry);
      throw err;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(entry: Entry): void {
    if (this.entries.get(entry.viewerId) !== entry) return;
    this.entries.delete(entry.viewerId);
    for (const room of entry.rooms) {
      const viewers = this.byRoom.get(room);
      viewers?.delete(entry.viewerId);
      if (viewers?.size === 0) this.byRoom.delete(room);
    }
  }

  private clear(): void {
    this.entries.clear();
    this.byRoom.clear();
  }

  private async read(viewer: Viewer): Promise<DashboardState> {
    this.opts.onRead?.();
    const [page, counts, privateCounts] = await Promise.all([
      listTasks(this.db, viewer, { limit: 50 }),
      countTasks(this.db, viewer),
      countPrivateTasks(this.db, viewer.id),
    ]);
    return { tasks: page.tasks.map(toDashboardTask), counts, privateCounts, nextCursor: page.nextCursor };
  }
}
