import { login, openSocket } from '@taskflow/testing';
import { DEMO_PASSWORD } from './cluster';
import { until } from './proc';
import { recordMeasurements } from './report';
import { expectHeld, runFault, type FaultScenario } from './scenario';
import { DeliveryLedger, TaskAuthor, untilStatus } from './traffic';
import type { HostView, SeparateHosts } from './separate-hosts';
import { Watchers } from './watchers';

/**
 * docker-compose.yml's scenario on separate hosts, whatever runs them (`SeparateHosts`): the topology, a task's whole
 * life seen by WebSocket and long-polling clients, then a crashed server replica, a paused worker, a server cut off
 * the network and a scale-in, each while tasks are created and GitHub deliveries arrive, with nothing answered 2xx
 * lost or applied twice.
 */
export function describeSeparateHosts(
  start: (log: (line: string) => void) => Promise<SeparateHosts>,
  /** Prints a line of the run's story (the spec file's console: a harness has none). */
  log: (line: string) => void,
): void {
  let stack: SeparateHosts;
  /** The server replica the crash test brought down: the restart policy restarted it, once. */
  let crashed: string | undefined;
  let watchers: Watchers;
  const suite = {} as { cluster: SeparateHosts; watchers: Watchers };

  beforeAll(async () => {
    stack = await start(log);
    log(`components run as ${stack.kind}`);
    await stack.connectDb();
    watchers = await Watchers.open(stack);
    Object.assign(suite, { cluster: stack, watchers });
  }, 60 * 60_000);

  afterAll(async () => {
    watchers?.close();
    await stack?.stop();
  }, 5 * 60_000);

  /** Every live node's socket count, as the operator's view shows it (node id = the host's name). */
  async function socketsPerNode(): Promise<Map<string, number>> {
    const token = await login(stack.url, 'ops', DEMO_PASSWORD);
    const res = await fetch(`${stack.url}/api/admin/overview`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { nodes: Array<{ nodeId: string; sockets: number }> };
    return new Map(body.nodes.map((n) => [n.nodeId, n.sockets]));
  }

  /** The running server replica that holds the most of the watchers' sockets. */
  async function busiestServer(): Promise<HostView> {
    const sockets = await socketsPerNode();
    const running = (await stack.hosts('server')).filter((c) => c.status === 'running');
    const busiest = running.sort((a, b) => (sockets.get(b.hostname) ?? 0) - (sockets.get(a.hostname) ?? 0))[0];
    if (!busiest || !sockets.get(busiest.hostname)) throw new Error(`no server replica holds a socket: ${JSON.stringify([...sockets])}`);
    return busiest;
  }

  const reconnects = () => watchers.stats().reconnects;

  /** Components the restart policy restarted, but the one a test crashed on purpose: each fault must leave the rest running. */
  async function restartedBesides(victimId?: string): Promise<string[]> {
    return (await stack.hosts()).filter((c) => c.id !== victimId && c.restarts > 0).map((c) => `${c.name}: ${c.restarts}`);
  }

  /**
   * One fault while tasks are created and GitHub deliveries arrive (4 of each, spread over `spreadMs`): nothing
   * answered 2xx is lost or applied twice, and no container but the crashed one was restarted. `clientsMove`: the
   * fault cuts clients off, so they must have reconnected through HAProxy.
   */
  async function underFault(
    name: string,
    fault: () => Promise<void>,
    opts: Pick<FaultScenario, 'spreadMs' | 'afterFault'> & { clientsMove: boolean },
  ): Promise<void> {
    const reconnectsBefore = reconnects();
    const o = await runFault(suite, { name, fault, afterFault: opts.afterFault, deliveries: 4, creations: 4, spreadMs: opts.spreadMs });
    log(o.report);
    expectHeld(o);
    if (opts.clientsMove) expect(reconnects()).toBeGreaterThan(reconnectsBefore);
    expect(await restartedBesides(crashed)).toEqual([]);
  }

  describe("docker-compose.yml's stack on separate hosts (a Docker engine's containers, else network namespaces)", () => {
    it('runs the topology: the migrate job, 3 healthy servers (non-root in the image) found by HAProxy by name, 2 workers', async () => {
      const all = await stack.hosts();
      const byService = (s: string) => all.filter((c) => c.service === s);
      expect(byService('migrate').map((c) => [c.status, c.exitCode])).toEqual([['exited', 0]]);
      expect(byService('server').map((c) => [c.status, c.health])).toEqual(Array(3).fill(['running', 'healthy']));
      expect(byService('worker').map((c) => c.status)).toEqual(['running', 'running']);
      for (const s of ['haproxy', 'postgres', 'redis']) expect(byService(s).map((c) => c.status)).toEqual(['running']);

      // The image runs as `node` (uid 1000), not root. Without an engine there is no image: the apps run from the clone.
      if (stack.kind === 'containers')
        for (const c of [...byService('server'), ...byService('worker')]) expect(await stack.uidOf(c)).toBe(1000);
      else log('no image without an engine: its non-root user is checked only when the scenario runs in containers');
      // Every component on its own address, found by its service name, never by loopback.
      const addresses = all.filter((c) => c.status === 'running').map((c) => c.address);
      expect(new Set(addresses).size).toBe(addresses.length);
      for (const a of addresses) expect(a).toMatch(/^(?!127\.)\d+\.\d+\.\d+\.\d+$/);
      for (const c of [...byService('server'), ...byService('worker')]) {
        const env = Object.fromEntries(c.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
        expect([new URL(env.DATABASE_URL!).hostname, new URL(env.REDIS_URL!).hostname]).toEqual(['postgres', 'redis']);
      }
      // HAProxy found all three replicas through DNS: WebSocket clients, which reach the nodes only through it (least
      // connections), end up on every one of them, each live in the operator's view under its hostname (NODE_ID).
      const token = await login(stack.url, 'carol', DEMO_PASSWORD);
      const extra = [];
      for (let i = 0; i < 6; i++) extra.push(await openSocket(stack.url, { token }));
      try {
        let sockets = new Map<string, number>();
        await until(
          'every replica to hold sockets in the operator view',
          async () => [...(sockets = await socketsPerNode()).values()].filter((n) => n > 0).length === 3,
          30_000,
          1000,
        ).catch(() => undefined);
        expect([...sockets.keys()].sort()).toEqual(
          byService('server')
            .map((c) => c.hostname)
            .sort(),
        );
        expect([...sockets.values()].filter((n) => n > 0)).toHaveLength(3);
      } finally {
        for (const s of extra) s.close();
      }
    });

    it("a task's whole life reaches WebSocket and long-polling clients of two users", async () => {
      const author = await TaskAuthor.as(stack);
      const id = await author.create(1);
      if (!id) throw new Error(`task creation answered ${author.attempts.at(-1)?.answer}`);
      watchers.watch([id]);
      expect(await untilStatus(stack, [id], ['dispatched'], 60_000)).toEqual([]);
      const ledger = new DeliveryLedger(stack);
      expect(await ledger.finishTask(id)).toEqual([202, 202, 202]);
      expect(await untilStatus(stack, [id], ['merged'], 60_000)).toEqual([]);
      await watchers.converge([id], 30_000);
      expect(await watchers.integrity([id])).toEqual([]);
      expect(await ledger.notApplied()).toEqual([]);
    });

    it('a server replica crashes: HAProxy takes it out, its clients converge elsewhere, the restart policy brings it back', async () => {
      const victim = await busiestServer();
      let crashedAt = 0;
      const crash = async () => {
        crashedAt = Date.now();
        crashed = victim.id;
        await stack.crash(victim);
      };
      const untilBack = async () => {
        let back: HostView | undefined;
        await until(
          `${victim.name} to be restarted and healthy`,
          async () => {
            back = (await stack.hosts('server')).find((c) => c.id === victim.id);
            return Boolean(back && back.restarts > victim.restarts && back.health === 'healthy');
          },
          120_000,
          1000,
        );
        return { replicaBackMs: Date.now() - crashedAt, restarts: back!.restarts };
      };
      await underFault('compose-server-crash', crash, { spreadMs: 4000, afterFault: untilBack, clientsMove: true });
      await stack.untilServing(3, 60_000);
    });

    it('a worker paused for 10 s: its jobs are taken over, nothing is lost or applied twice', async () => {
      const [worker] = (await stack.hosts('worker')).filter((c) => c.status === 'running');
      await underFault('compose-worker-pause', () => stack.pause(worker!, 10_000), { spreadMs: 8000, clientsMove: false });
      expect((await stack.hosts('worker')).map((c) => c.status)).toEqual(['running', 'running']);
    });

    it('a server replica cut off the network, then reconnected: its clients converge, and it serves again', async () => {
      const victim = await busiestServer();
      const partition = () => stack.partition(victim, 15_000);
      // Its clients need not reconnect: a WebSocket through HAProxy can outlive 15 s of silence (the heartbeat allows
      // more), and the node resyncs them once its Redis is back. Converging with nothing lost is what they need.
      await underFault('compose-server-partition', partition, { spreadMs: 10_000, clientsMove: false });
      await stack.untilServing(3, 90_000);
    });

    it('scaled in to one server replica: the others drain, their clients move, no event is lost', async () => {
      await underFault('compose-scale-in', () => stack.scaleServersTo(1), { spreadMs: 4000, clientsMove: true });
      expect((await stack.hosts('server')).map((c) => c.status)).toEqual(['running']);
      recordMeasurements('compose-final', { clients: watchers.stats() });
    });
  });
}
