import { createDb, getTask } from '@taskflow/store';
import { TaskMirror, type TestSocket } from '@taskflow/testing';
import { waitFor } from '../net';

/**
 * Clients that each mirror every task the cluster tests start (TaskMirror: applied by seq, resynced after every
 * reconnect), and the check that they all converged with nothing missing and nothing twice.
 */
export class TaskWatchers {
  readonly clients: TestSocket[] = [];
  readonly mirrors = new Map<string, TaskMirror[]>();

  constructor(private readonly databaseUrl: string) {}

  /** A connected client: from now on it mirrors every task watched so far and every later one. */
  async add(c: TestSocket): Promise<void> {
    this.clients.push(c);
    for (const [id, list] of this.mirrors) {
      const m = new TaskMirror(c, id);
      list.push(m);
      await m.join();
    }
  }

  /** Every client starts mirroring the task. */
  watch(id: string): void {
    const list = this.clients.map((c) => new TaskMirror(c, id));
    this.mirrors.set(id, list);
    for (const m of list) void m.join().catch(() => undefined);
  }

  private async committedSeq(taskId: string): Promise<number> {
    const db = createDb(this.databaseUrl, { max: 1 });
    try {
      return (await getTask(db, 'system', taskId))!.task.seq;
    } finally {
      await db.destroy();
    }
  }

  /** Every client has every task at its committed seq and final status, having applied 1..seq with nothing missing. */
  async converged(ids: string[], status = 'merged'): Promise<void> {
    let seen = '';
    await waitFor(
      'every client to converge',
      async () => {
        for (const id of ids) {
          const seq = await this.committedSeq(id);
          const behind = this.mirrors.get(id)!.filter((m) => m.last !== seq || m.status !== status);
          seen = `${id}: committed ${seq}; clients ${this.mirrors
            .get(id)!
            .map((m) => `${m.last}/${m.status}`)
            .join(', ')}`;
          if (behind.length) return undefined;
        }
        return true;
      },
      60_000,
    ).catch((err: Error) => {
      const detail = this.clients.map((c) => ({
        transport: c.socket.io.opts.transports?.[0],
        connected: c.socket.connected,
        id: c.socket.id,
        disconnects: c.disconnects.map((d) => `${d.reason}@${d.at % 100_000}`),
        connects: c.connects.map((at) => at % 100_000),
        lastEvent: c.events.at(-1) && `${c.events.at(-1)!.event}@${c.events.at(-1)!.at % 100_000}`,
        now: Date.now() % 100_000,
      }));
      throw new Error(`${err.message} (${seen}) ${JSON.stringify(detail)}`);
    });
    for (const id of ids) for (const m of this.mirrors.get(id)!) expect(m.applied).toEqual(Array.from({ length: m.last }, (_, i) => i + 1));
    await waitFor('every client connected', async () => (this.clients.every((c) => c.socket.connected) ? true : undefined), 30_000).catch(
      (err: Error) => {
        throw new Error(
          `${err.message}: ${JSON.stringify(this.clients.map((c) => ({ connected: c.socket.connected, disconnects: c.disconnects.map((d) => d.reason), connects: c.connects.length })))}`,
        );
      },
    );
  }
}
