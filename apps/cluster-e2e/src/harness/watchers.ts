import { login, openSocket, TaskMirror, type TestSocket } from '@taskflow/testing';
import { DEMO_PASSWORD } from './cluster';
import { DashboardMirror } from './dashboard-mirror';
import type { StackAccess } from './stack-access';

export type Transport = 'websocket' | 'polling';

export interface Watcher {
  label: string;
  /** Connections after the first one. */
  reconnects: number;
  /** Connects, disconnects (with the reason) and failed reconnects, with their time: said when a client does not converge. */
  history: string[];
  client: TestSocket;
  dashboard: DashboardMirror;
  tasks: Map<string, TaskMirror>;
}

export interface CommittedTask {
  id: string;
  seq: number;
  status: string;
  /** task_events rows of the task, and their highest seq: both must equal `seq`. */
  events: number;
  maxEventSeq: number;
}

/** The committed state of `ids`, straight from PostgreSQL (tasks and task_events). */
export async function committedState(cluster: StackAccess, ids: readonly string[]): Promise<Map<string, CommittedTask>> {
  const { rows } = await cluster.db().query<{ id: string; seq: number; status: string; events: string; max_seq: number | null }>(
    `SELECT t.id, t.seq, t.status, count(e.seq) AS events, max(e.seq) AS max_seq
       FROM tasks t LEFT JOIN task_events e ON e.task_id = t.id
      WHERE t.id = ANY($1::uuid[]) GROUP BY t.id`,
    [ids],
  );
  return new Map(
    rows.map((r) => [r.id, { id: r.id, seq: r.seq, status: r.status, events: Number(r.events), maxEventSeq: r.max_seq ?? 0 }]),
  );
}

/**
 * Clients watching the cluster through HAProxy, as browsers would: some over
 * WebSocket, some long-polling only, two users of the same org, each on the
 * dashboard and in the room of every task under test. They reconnect by
 * themselves; a join or resync that went unanswered (the server could not
 * read PostgreSQL) is tried again, as the web app's would be.
 */
export class Watchers {
  readonly all: Watcher[] = [];
  private readonly healer: NodeJS.Timeout;
  private readonly lastProgress = new Map<TaskMirror, { last: number; at: number }>();

  private constructor(private readonly cluster: StackAccess) {
    this.healer = setInterval(() => this.heal(), 1000);
    this.healer.unref();
  }

  static async open(
    cluster: StackAccess,
    spec: Array<[user: string, transport: Transport, node?: string]> = DEFAULT_SPEC,
  ): Promise<Watchers> {
    const w = new Watchers(cluster);
    const tokens = new Map<string, string>();
    // One after the other, so that HAProxy's leastconn spreads them over both nodes.
    for (const [user, transport, node] of spec) {
      if (!tokens.has(user)) tokens.set(user, await login(cluster.url, user, DEMO_PASSWORD));
      // HAProxy's sticky cookie pins a client to a node when the test needs it there.
      const client = await openSocket(cluster.url, {
        token: tokens.get(user)!,
        transports: [transport],
        reconnection: true,
        ...(node ? { extraHeaders: { cookie: `tfnode=${node}` } } : {}),
      });
      const dashboard = new DashboardMirror(client);
      await dashboard.join();
      const watcher: Watcher = {
        label: `${user}/${transport}${node ? `@${node}` : ''}`,
        reconnects: 0,
        history: [],
        client,
        dashboard,
        tasks: new Map(),
      };
      const note = (what: string) => watcher.history.push(`${new Date().toISOString().slice(11, 23)} ${what}`);
      client.socket.on('connect', () => {
        watcher.reconnects += 1;
        note('reconnected');
      });
      client.socket.on('disconnect', (reason) => note(`disconnected: ${reason}`));
      client.socket.io.on('reconnect_error', (err) => note(`reconnect failed: ${err.message}`));
      w.all.push(watcher);
    }
    return w;
  }

  /** Starts watching tasks: each client joins their rooms (in the background, retried until a snapshot came). */
  watch(ids: readonly string[]): void {
    for (const w of this.all) {
      for (const id of ids) {
        if (w.tasks.has(id)) continue;
        const mirror = new TaskMirror(w.client, id);
        w.tasks.set(id, mirror);
        this.lastProgress.set(mirror, { last: 0, at: Date.now() });
        void mirror.join().catch(() => undefined);
      }
    }
  }

  /**
   * A client that knows it is behind does something about it: no snapshot since
   * its join or reconnect, or a live seq it could not apply (a gap whose resync
   * failed), unchanged for 5 s → join the room again (a fresh snapshot).
   */
  private heal(): void {
    const now = Date.now();
    for (const w of this.all) {
      if (!w.client.socket.connected) continue;
      for (const m of w.tasks.values()) {
        const p = this.lastProgress.get(m)!;
        if (m.last !== p.last) {
          this.lastProgress.set(m, { last: m.last, at: now });
          continue;
        }
        const stuck = m.snapshots === 0 || m.live.some((seq) => seq > m.last);
        if (stuck && now - p.at > 5000) {
          this.lastProgress.set(m, { last: m.last, at: now });
          void m.join().catch(() => undefined);
        }
      }
    }
  }

  /**
   * Waits until every client holds, for every task, the committed seq and
   * status (task room and dashboard). Resolves with the time it took; rejects
   * with what differs.
   */
  async converge(ids: readonly string[], timeoutMs: number): Promise<number> {
    const started = Date.now();
    let diff: string[] = [];
    while (Date.now() - started < timeoutMs) {
      const committed = await committedState(this.cluster, ids).catch(() => undefined);
      if (committed) {
        diff = this.differences(ids, committed);
        if (diff.length === 0) return Date.now() - started;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const histories = this.all.map(
      (w) =>
        `${w.label} (${w.client.socket.connected ? 'connected' : 'disconnected'}): ${w.history.slice(-8).join(', ') || 'no reconnects'}`,
    );
    throw new Error(
      `clients did not converge within ${timeoutMs} ms:\n  ${diff.slice(0, 20).join('\n  ')}${diff.length > 20 ? `\n  … ${diff.length - 20} more` : ''}\n  clients: ${histories.join('\n    ')}`,
    );
  }

  differences(ids: readonly string[], committed: Map<string, CommittedTask>): string[] {
    const diff: string[] = [];
    for (const id of ids) {
      const c = committed.get(id);
      if (!c) {
        diff.push(`${id}: not in PostgreSQL`);
        continue;
      }
      for (const w of this.all) {
        const m = w.tasks.get(id);
        if (m && (m.last !== c.seq || m.status !== c.status))
          diff.push(`${w.label} task ${id}: ${m.last}/${m.status}, committed ${c.seq}/${c.status}`);
        const row = w.dashboard.rows.get(id);
        if (!row || row.seq !== c.seq || row.status !== c.status)
          diff.push(`${w.label} dashboard ${id}: ${row ? `${row.seq}/${row.status}` : 'missing'}, committed ${c.seq}/${c.status}`);
      }
    }
    return diff;
  }

  /**
   * What must hold once converged: the store's events of each task are 1..seq,
   * and each client applied exactly 1..seq in order (no gap, nothing twice).
   */
  async integrity(ids: readonly string[]): Promise<string[]> {
    const committed = await committedState(this.cluster, ids);
    const problems: string[] = [];
    for (const id of ids) {
      const c = committed.get(id)!;
      if (c.events !== c.seq || c.maxEventSeq !== c.seq)
        problems.push(`${id}: task seq ${c.seq} but ${c.events} events up to ${c.maxEventSeq}`);
      for (const w of this.all) {
        const m = w.tasks.get(id);
        if (!m) continue;
        const expected = Array.from({ length: c.seq }, (_, i) => i + 1);
        if (m.applied.join(',') !== expected.join(','))
          problems.push(`${w.label} task ${id}: applied [${m.applied.join(',')}], expected 1..${c.seq}`);
      }
    }
    return problems;
  }

  /** Counts for the report: gaps seen (and resynced), snapshots taken, reconnects. */
  stats(): { gaps: number; snapshots: number; reconnects: number; staleDashboardRows: number } {
    let gaps = 0;
    let snapshots = 0;
    for (const w of this.all) {
      for (const m of w.tasks.values()) {
        gaps += m.gaps;
        snapshots += m.snapshots;
      }
    }
    const reconnects = this.all.reduce((n, w) => n + w.reconnects, 0);
    return { gaps, snapshots, reconnects, staleDashboardRows: this.all.reduce((n, w) => n + w.dashboard.stale, 0) };
  }

  close(): void {
    clearInterval(this.healer);
    for (const w of this.all) w.client.close();
  }
}

const DEFAULT_SPEC: Array<[string, Transport]> = [
  ['alice', 'websocket'],
  ['alice', 'polling'],
  ['bob', 'websocket'],
  ['bob', 'polling'],
];
