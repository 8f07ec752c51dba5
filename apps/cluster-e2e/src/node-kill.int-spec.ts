import { clusterSuite, expectHeld, itStopsCleanly, runFault, signal, until } from './harness';

/**
 * A server node SIGKILLed: HAProxy stops sending it traffic, its clients
 * reconnect to the other node, the supervisor starts it again, and nothing
 * that was answered 2xx meanwhile is lost.
 */
jest.setTimeout(200_000);
const suite = clusterSuite('node-kill');

describe('a server node killed', () => {
  it('SIGKILL of server-1: the cluster keeps serving, the node comes back, clients converge', async () => {
    const { cluster } = suite;
    const failures: number[] = [];
    let requests = 0;
    let killedAt = 0;
    let polling = true;
    // A user reading the API all along, through HAProxy.
    const reader = (async () => {
      while (polling) {
        const res = await fetch(`${cluster.url}/api/repos`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
        requests += 1;
        if (killedAt && res?.status !== 200 && res?.status !== 401) failures.push(Date.now() - killedAt);
        // Paces the reader: five requests a second.
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const doomed = cluster.find('node', 'server-1');
    const o = await runFault(suite, {
      name: 'node-kill',
      fault: async () => {
        killedAt = Date.now();
        signal([doomed.pid], 'SIGKILL');
      },
      killed: [{ role: 'node', name: 'server-1' }],
      afterFault: async () => {
        // Back: a new process in server-1's place, and HAProxy routing its sticky cookie to it.
        await until(
          'server-1 to be restarted and routed to',
          async () => {
            const now = cluster.processes().find((p) => p.name === 'server-1');
            if (!now || now.pid === doomed.pid) return false;
            const res = await fetch(`${cluster.url}/api/ready`, { headers: { cookie: 'tfnode=server-1' } }).catch(() => undefined);
            return Boolean(res?.ok && !res.headers.get('set-cookie'));
          },
          60_000,
        );
        return { nodeBackMs: Date.now() - killedAt };
      },
      deliveries: 6,
      creations: 6,
      spreadMs: 6000,
    });
    polling = false;
    await reader;
    console.log(
      o.report,
      JSON.stringify({ apiRequests: requests, apiFailures: failures.length, lastFailureMsAfterKill: failures.at(-1) ?? null }),
    );
    expectHeld(o);
    // HAProxy notices a dead node within its health checks (2 × 1 s): after that, every request is served.
    expect(failures.filter((ms) => ms > 5000)).toEqual([]);
  });

  itStopsCleanly(suite);
});
