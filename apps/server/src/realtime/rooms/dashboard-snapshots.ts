import { Cluster } from 'ioredis';
import type { RedisClient } from '@taskflow/queue';
import { rooms, toDashboardTask, type ServerEventPayload } from '@taskflow/events';
import { countPrivateTasks, countTasks, listTasks, type Db } from '@taskflow/store';
import type { SessionUser } from '../../auth/auth.plugin';

type DashboardState = ServerEventPayload<'dashboard:state'>;
type Viewer = SessionUser;

/**
 * This node's `dashboard:state` per viewer, so that a user's many tabs joining
 * at once (or re-joining after a reconnect) cost one read, not one each.
 *
 * Kept current from the publish stream this node already receives: every
 * broadcast to an org or user room bumps that room's generation, and a
 * snapshot is served only while both its rooms' generations are unchanged
 * since its read began. A socket joins its rooms before it asks for the
 * snapshot, so whatever a cached snapshot lacks was broadcast after the join
 * and reaches the socket live (clients drop what they already have by seq).
 * While the Redis subscription is interrupted nothing is cached: broadcasts
 * may be missing.
 */
export class DashboardSnapshots {
  private readonly generations = new Map<string, number>();
  private readonly entries = new Map<string, { stamp: string; at: number; state: Promise<DashboardState> }>();
  private epoch = 0;
  private live: boolean;
  private readonly opts: { ttlMs: number; maxEntries: number; onRead?: () => void };

  constructor(
    private readonly db: Db,
    sub: RedisClient,
    options: { ttlMs?: number; maxEntries?: number; onRead?: () => void } = {},
  ) {
    this.opts = { ttlMs: 5000, maxEntries: 20_000, ...options };
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

  /** A broadcast to `room` arrived (whether or not this node has sockets there). */
  changed(room: string): void {
    if (!room.startsWith('org:') && !room.startsWith('user:')) return;
    const gens = this.generations;
    gens.set(room, (gens.get(room) ?? 0) + 1);
    // Bounded: forgetting the generations invalidates everything (a new epoch).
    if (gens.size > this.opts.maxEntries) this.clear();
  }

  /** The viewer's dashboard snapshot: a shared read while nothing it shows has changed. */
  state(viewer: Viewer): Promise<DashboardState> {
    if (!this.live) return this.read(viewer);
    const stamp = this.stamp(viewer);
    const hit = this.entries.get(viewer.id);
    if (hit && hit.stamp === stamp && Date.now() - hit.at < this.opts.ttlMs) return hit.state;
    const state = this.read(viewer);
    this.entries.delete(viewer.id);
    if (this.entries.size >= this.opts.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(viewer.id, { stamp, at: Date.now(), state });
    // A failed read is not kept for the next join.
    state.catch(() => {
      if (this.entries.get(viewer.id)?.state === state) this.entries.delete(viewer.id);
    });
    return state;
  }

  get size(): number {
    return this.entries.size;
  }

  private clear(): void {
    this.epoch += 1;
    this.entries.clear();
    this.generations.clear();
  }

  private stamp(viewer: Viewer): string {
    return `${this.epoch}:${this.generations.get(rooms.org(viewer.orgId)) ?? 0}:${this.generations.get(rooms.user(viewer.id)) ?? 0}`;
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
