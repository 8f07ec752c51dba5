import type { Logger } from '@taskflow/platform';
import type { TaskflowServer, TaskflowSocket } from '../transport/socket-types';
import { socketsToShed, type RebalanceSettings } from './rebalance.policy';

export interface RebalancerOptions extends RebalanceSettings {
  nodeId: string;
  /** How long a socket told to reconnect may stay before its transport is closed (clients that ignore the event). */
  graceMs: number;
  /** Every live node's socket count, this one's included (its last published snapshot). */
  clusterCounts: () => Promise<ReadonlyArray<{ nodeId: string; sockets: number }>>;
  /** No moves while the node drains (all of its sockets go anyway). */
  isDraining: () => boolean;
  onMoved: () => void;
  logger: Logger;
}

/**
 * New nodes start empty after a scale-out, and WebSockets never move by themselves. Once per interval this node
 * compares its socket count with the other live nodes' (their published snapshots) and, while it holds more than its
 * share (rebalance.policy.ts), asks a few sockets, chosen at random and spread over the interval, to reconnect now
 * (`connection:reconnect`): the load balancer's least-connections choice for a new handshake sends them to the
 * emptier nodes. A socket still here after the grace has its transport closed (it reconnects the same way).
 */
export class Rebalancer {
  private readonly timer: NodeJS.Timeout;
  private readonly pending = new Set<NodeJS.Timeout>();
  /** Sockets told to move that have not left yet: not counted as this node's, not picked twice. */
  private readonly moving = new Set<string>();
  private deciding = false;
  /** Consecutive decisions that found this node above its share. */
  private aboveShare = 0;
  private closed = false;

  constructor(
    private readonly io: TaskflowServer,
    private readonly opts: RebalancerOptions,
  ) {
    this.timer = setInterval(() => void this.tick(), opts.intervalMs);
    this.timer.unref();
  }

  async tick(): Promise<void> {
    if (this.deciding || this.closed || this.opts.isDraining()) return;
    this.deciding = true;
    try {
      const counts = await this.opts.clusterCounts();
      const others = counts.filter((c) => c.nodeId !== this.opts.nodeId).map((c) => c.sockets);
      const sockets = this.io.of('/').sockets;
      const own = sockets.size - this.moving.size;
      const n = socketsToShed(own, others, this.opts);
      // Twice in a row: during a connect burst the other nodes' snapshots lag their real counts by up to an interval.
      this.aboveShare = n > 0 ? this.aboveShare + 1 : 0;
      if (this.aboveShare >= 2) this.shed(n, sockets);
    } catch (err) {
      // Redis away: no moves this interval, nothing else depends on them.
      this.opts.logger.debug({ err }, 'rebalance skipped');
    } finally {
      this.deciding = false;
    }
  }

  private shed(n: number, sockets: Map<string, TaskflowSocket>): void {
    const candidates = [...sockets.values()].filter((s) => !this.moving.has(s.id));
    this.opts.logger.info({ sockets: sockets.size, moving: n }, 'rebalance: asking sockets to reconnect elsewhere');
    for (let i = 0; i < n && candidates.length > 0; i++) {
      const socket = candidates.splice(Math.floor(Math.random() * candidates.length), 1)[0]!;
      this.moving.add(socket.id);
      socket.once('disconnect', () => this.moving.delete(socket.id));
      // Spread over the interval, one in each n-th of it at a random point: the moved clients do not hit the load
      // balancer together, and no second sees much more than its share (a decision's moves stay inside its interval).
      this.later(((i + Math.random()) * this.opts.intervalMs) / n, () => {
        if (!socket.connected) return;
        this.opts.onMoved();
        socket.emit('connection:reconnect', { reason: 'rebalance' });
        this.later(this.opts.graceMs, () => {
          if (socket.connected) socket.conn.close();
        });
      });
    }
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.pending.delete(t);
      fn();
    }, ms);
    this.pending.add(t);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
