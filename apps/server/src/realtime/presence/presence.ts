import type { RedisClient } from '@taskflow/queue';
import { rooms, type ServerEventPayload } from '@taskflow/events';
import { DeadlineError, withDeadline, type Logger } from '@taskflow/platform';
import type { TaskflowServer, TaskflowSocket } from '../transport/socket-types';

type Viewers = ServerEventPayload<'presence:updated'>['viewers'];

/** How long a join or leave waits for Redis before going on without it (presence is best effort). */
const PRESENCE_DEADLINE_MS = 500;

/**
 * Who is looking at a task, across nodes: a Redis sorted set per task whose
 * members are (node, socket, user, name) and whose scores are expiry times.
 * Each node refreshes its own sockets' entries; entries of a dead node expire,
 * and the next refresh on a node that still has viewers of that task prunes
 * them and tells the room.
 */
export class Presence {
  /** taskId → ids of this node's sockets viewing it. */
  private readonly local = new Map<string, Set<string>>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private refreshing = false;

  constructor(
    private readonly io: TaskflowServer,
    private readonly redis: RedisClient,
    private readonly opts: { nodeId: string; ttlMs: number; prefix: string; logger: Logger; deadlineMs?: number },
  ) {
    this.timer = setInterval(
      () => {
        // One refresh at a time: while Redis stalls, they would pile up behind each other.
        if (this.refreshing) return;
        this.refreshing = true;
        this.refresh()
          .catch((err: unknown) => opts.logger.warn({ err }, 'presence refresh failed'))
          .finally(() => (this.refreshing = false));
      },
      Math.max(500, Math.floor(opts.ttlMs / 3)),
    );
    this.timer.unref();
  }

  private key(taskId: string) {
    return `${this.opts.prefix}:presence:${taskId}`;
  }

  private member(socket: TaskflowSocket) {
    const u = socket.data.user;
    return JSON.stringify([this.opts.nodeId, socket.id, u.id, u.name]);
  }

  async join(socket: TaskflowSocket, taskId: string): Promise<void> {
    // A socket that disconnected while its task:join was in flight has already been cleaned up: adding it now would leak.
    if (this.closed || !socket.connected) return;
    const sockets = this.local.get(taskId) ?? new Set<string>();
    sockets.add(socket.id);
    this.local.set(taskId, sockets);
    await this.withinDeadline(this.announceJoin(socket, taskId), 'join', taskId);
  }

  private async announceJoin(socket: TaskflowSocket, taskId: string): Promise<void> {
    try {
      await this.redis.zadd(this.key(taskId), Date.now() + this.opts.ttlMs, this.member(socket));
      // It may have gone during the write (its disconnect cleanup ran before or after the add): undo ours.
      if (!socket.connected) return await this.leave(socket, taskId);
      await this.broadcast(taskId);
    } catch (err) {
      // Redis is away: the viewer list catches up at the next refresh; joining the task must not fail for it.
      this.opts.logger.warn({ err, taskId }, 'presence update failed');
      if (!socket.connected) this.forget(socket.id, taskId);
    }
  }

  private forget(socketId: string, taskId: string): void {
    const sockets = this.local.get(taskId);
    if (sockets?.delete(socketId) && sockets.size === 0) this.local.delete(taskId);
  }

  /** Socket→task entries held in memory on this node. */
  get size(): number {
    let n = 0;
    for (const ids of this.local.values()) n += ids.size;
    return n;
  }

  async leave(socket: TaskflowSocket, taskId: string): Promise<void> {
    // While the node shuts down its entries simply expire; Redis is being closed under us.
    if (this.closed) return;
    const sockets = this.local.get(taskId);
    if (!sockets?.delete(socket.id)) return;
    if (sockets.size === 0) this.local.delete(taskId);
    await this.withinDeadline(this.announceLeave(socket, taskId), 'leave', taskId);
  }

  private async announceLeave(socket: TaskflowSocket, taskId: string): Promise<void> {
    try {
      await this.redis.zrem(this.key(taskId), this.member(socket));
      await this.broadcast(taskId);
    } catch (err) {
      // The entry expires by itself; the room's list catches up at the next refresh.
      this.opts.logger.warn({ err, taskId }, 'presence update failed');
    }
  }

  /**
   * A stalled Redis must not hold up task:join or task:leave: past the deadline the
   * caller goes on, and the update finishes (or fails, logged) in the background.
   */
  private async withinDeadline(work: Promise<void>, what: string, taskId: string): Promise<void> {
    try {
      await withDeadline(work, this.opts.deadlineMs ?? PRESENCE_DEADLINE_MS);
    } catch (err) {
      if (!(err instanceof DeadlineError)) throw err;
      this.opts.logger.warn({ taskId }, `presence ${what} still waiting for Redis; going on without it`);
    }
  }

  /** On disconnect: leave every task this socket was viewing. */
  async leaveAll(socket: TaskflowSocket): Promise<void> {
    const tasks = [...this.local.entries()].filter(([, ids]) => ids.has(socket.id)).map(([taskId]) => taskId);
    await Promise.all(tasks.map((taskId) => this.leave(socket, taskId)));
  }

  async viewers(taskId: string): Promise<Viewers> {
    const members = await this.redis.zrangebyscore(this.key(taskId), Date.now(), '+inf');
    const byUser = new Map<string, string>();
    for (const m of members) {
      const [, , userId, name] = JSON.parse(m) as [string, string, string, string];
      byUser.set(userId, name);
    }
    return [...byUser].map(([userId, name]) => ({ userId, name })).sort((a, b) => a.name.localeCompare(b.name));
  }

  private async broadcast(taskId: string): Promise<void> {
    const viewers = await this.viewers(taskId);
    if (this.closed) return;
    this.io.to(rooms.task(taskId)).emit('presence:updated', { taskId, viewers });
  }

  /** Refreshes this node's entries and prunes expired ones (a dead node's), telling rooms that changed. */
  private async refresh(): Promise<void> {
    const now = Date.now();
    for (const [taskId, socketIds] of this.local) {
      const key = this.key(taskId);
      const members = [...socketIds].map((id) => this.io.of('/').sockets.get(id)).filter((s): s is TaskflowSocket => Boolean(s));
      // Safety net: forget sockets that are gone, whatever order their disconnect and join ran in.
      if (members.length < socketIds.size) {
        const live = new Set(members.map((m) => m.id));
        for (const id of socketIds) if (!live.has(id)) socketIds.delete(id);
        if (socketIds.size === 0) this.local.delete(taskId);
      }
      if (members.length > 0) await this.redis.zadd(key, ...members.flatMap((s) => [now + this.opts.ttlMs, this.member(s)]));
      await this.redis.pexpire(key, this.opts.ttlMs * 2);
      const pruned = await this.redis.zremrangebyscore(key, '-inf', now);
      if (pruned > 0) await this.broadcast(taskId);
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }
}
