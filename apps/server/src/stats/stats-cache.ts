import type { TaskStats } from '@taskflow/events';
import { taskStats, type Db, type Viewer } from '@taskflow/store';

/**
 * GET /api/stats answered from a short per-org cache on this node: the query
 * scans every visible task, and a busy org's dashboards would otherwise run it
 * for every viewer on every change. A viewer with no private tasks sees exactly
 * the org's shared tasks, so one entry serves all of them; a viewer with
 * private tasks gets an entry of their own (nobody sees another's private
 * task, not even in a count). Concurrent misses share one query.
 */
export class StatsCache {
  private readonly entries = new Map<string, { at: number; value: Promise<TaskStats> }>();

  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(viewer: Viewer): Promise<TaskStats> {
    if (this.ttlMs === 0) return taskStats(this.db, viewer);
    const hasPrivate = await this.db
      .selectFrom('tasks')
      .select('id')
      .where('creatorId', '=', viewer.id)
      .where('isPrivate', '=', true)
      .limit(1)
      .executeTakeFirst();
    const key = hasPrivate ? `user:${viewer.id}` : `org:${viewer.orgId}`;
    const now = this.now();
    for (const [k, e] of this.entries) if (now - e.at >= this.ttlMs) this.entries.delete(k);
    const hit = this.entries.get(key);
    if (hit) return hit.value;
    const value = taskStats(this.db, viewer);
    this.entries.set(key, { at: now, value });
    // A failed read is not remembered.
    value.catch(() => this.entries.get(key)?.value === value && this.entries.delete(key));
    return value;
  }

  /** Entries held (bounded by the orgs and private-task owners asking within one TTL). */
  get size(): number {
    return this.entries.size;
  }
}
