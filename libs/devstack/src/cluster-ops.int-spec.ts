import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, login, openSocket, type TestDatabase, type TestSocket } from '@taskflow/testing';
import { waitFor } from './net';
import { TaskWatchers } from './testing/task-watchers';
import {
  clusterCtl,
  nodeHealth,
  retryingClient,
  runTaskLifecycle,
  spawnCluster,
  type LoadStats,
  type SpawnedCluster,
} from './testing/cluster-harness';

/**
 * Operating a running cluster the way docs/development.md says: `npm run cluster`, then
 * a node SIGKILLed, `npm run cluster:ctl -- restart` under load, scale out and
 * scale in — with clients watching over WebSocket and long-polling, and tasks
 * moving through their lifecycle (REST + signed webhooks) all along.
 */
// A ceiling for hangs: the longest tests took about 80 s (the SIGKILL one on an idle machine, the rolling restart at load 15).
jest.setTimeout(240_000);

const PASSWORD = 'ops-password';
let cluster: SpawnedCluster;
let database: TestDatabase;
let dataDir: string;
let token: string;
let watchers: TaskWatchers;
const measured: Record<string, unknown> = {};

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-ops-'));
  database = await createTestDatabase('clusterops');
  watchers = new TaskWatchers(database.url);
  cluster = await spawnCluster(dataDir, {
    DATABASE_URL: database.url,
    SEED_DEMO: 'true',
    DEMO_PASSWORD: PASSWORD,
    NODES: '2',
    WORKERS: '1',
    // Every client mirrors every task, and re-joins them all after each reconnect: above the default per-user budget.
    WEBSOCKET_RATE_PER_SOCKET: '500',
    WEBSOCKET_RATE_PER_USER: '2000',
    // Three lifecycles at a time as one user: above the default task-creation budget.
    TASK_CREATE_PER_MINUTE: '1000',
    TASK_WRITE_PER_MINUTE: '1000',
    // Every client re-reads its tasks after each reconnect (a node killed, drained, scaled in): above the default read budget.
    TASK_READ_PER_MINUTE: '10000',
    // The crash test's probe lists tasks about 40 times a second as one user: far above the default list budget.
    TASK_LIST_PER_MINUTE: '100000',
  });
  token = await login(cluster.url, 'alice', PASSWORD);
  const bob = await login(cluster.url, 'bob', PASSWORD);
  // One after the other, so that HAProxy's leastconn spreads them over both nodes.
  for (const [t, transport] of [
    [token, 'websocket'],
    [token, 'polling'],
    [bob, 'websocket'],
    [bob, 'polling'],
  ] as const)
    await addClient(t, transport);
}, 180_000);

afterAll(async () => {
  for (const c of watchers?.clients ?? []) c.close();
  const code = await cluster?.stop();
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  console.log(`cluster operations, measured: ${JSON.stringify(measured)}`);
  // What the supervisor said along the way (restarts, drains, scaling).
  console.log(
    cluster
      ?.output()
      .split('\n')
      .filter((l) => l.startsWith('[stack]') || /error|Error/.test(l))
      .slice(-60)
      .join('\n'),
  );
  expect(code).toBe(0);
});

async function addClient(t: string, transport: 'websocket' | 'polling'): Promise<TestSocket> {
  const c = await openSocket(cluster.url, { token: t, transports: [transport], reconnection: true });
  c.socket.on('connect', () => void c.request('dashboard:join').catch(() => undefined));
  await c.request('dashboard:join');
  await watchers.add(c);
  return c;
}

const newStats = (): LoadStats => ({ requests: 0, retried: {}, failures: [] });
const lifecycle = (stats: LoadStats, title: string, options: { retryConnectionErrors?: boolean } = {}) =>
  runTaskLifecycle(retryingClient(cluster.url, stats, options), cluster.url, token, cluster.webhookSecret(), title, (id) =>
    watchers.watch(id),
  );

/** Longest time each client went without a connection, and without any event, within [from, to]. */
function outages(from: number, to: number) {
  return watchers.clients.map((c) => {
    const down = c.disconnects
      .filter((d) => d.at >= from && d.at <= to)
      .map((d) => (c.connects.find((at) => at >= d.at) ?? Date.now()) - d.at);
    const times = [from, ...c.events.map((e) => e.at).filter((at) => at > from && at < to), to];
    const quiet = Math.max(...times.slice(1).map((at, i) => at - times[i]!));
    return {
      transport: c.socket.io.opts.transports?.[0],
      disconnects: down.length,
      longestDisconnectMs: Math.max(0, ...down),
      longestWithoutEventsMs: quiet,
    };
  });
}

describe('npm run cluster under operations', () => {
  it('spreads the watching clients over both nodes', async () => {
    const sockets = await Promise.all(
      cluster.state().nodes.map(async (n) => (await nodeHealth(n.metricsPort!)).websocket.connectedSockets as number),
    );
    expect(sockets.every((n) => n > 0)).toBe(true);
  });

  it('a SIGKILLed node: requests through HAProxy keep succeeding, the supervisor restarts it, every client converges', async () => {
    const stats = newStats();
    // A request the killed node was answering is cut: the client retries it (as GitHub redelivers).
    const call = retryingClient(cluster.url, stats, { retryConnectionErrors: true });
    const victim = cluster.state().nodes[0]!;
    let probing = true;
    const probe = (async () => {
      while (probing) {
        await call('GET', '/api/tasks?limit=5', { token, expect: [200] });
        // Paces the probe: about 40 requests a second.
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const watched = watchers.mirrors.size;
    const task = lifecycle(stats, 'Through a node crash', { retryConnectionErrors: true });
    // The node dies with the task on its way.
    await waitFor('the task to be created', async () => (watchers.mirrors.size > watched ? true : undefined), 30_000);
    const killedAt = Date.now();
    process.kill(victim.pid!, 'SIGKILL');
    const back = await waitFor(
      'the node to be restarted and ready',
      async () => {
        const n = cluster.state().nodes.find((x) => x.name === victim.name);
        return n && n.pid !== victim.pid && n.state === 'ready' ? n : undefined;
      },
      // 13 s at load 15.
      60_000,
    ).finally(() => (probing = false));
    measured.nodeKillRestartMs = Date.now() - killedAt;
    await probe;
    const id = await task;
    await watchers.converged([id]);
    expect(stats.failures).toEqual([]);
    measured.nodeKillRequests = { requests: stats.requests, retried: stats.retried };
    expect(cluster.output()).toContain(`${victim.name} pid ${victim.pid} exited unexpectedly`);
    const { answer } = await clusterCtl(dataDir, ['status']);
    expect(answer.status.nodes.find((n: any) => n.name === victim.name)).toMatchObject({
      pid: back.pid,
      state: 'ready',
      exits: 1,
      haproxy: expect.stringMatching(/^UP/),
    });
  });

  it('`cluster:ctl -- restart` under load: nothing fails without a retryable status, no job is lost, clients converge with no gap', async () => {
    const stats = newStats();
    const before = cluster.state();
    const ids: string[] = [];
    let loading = true;
    const earlier = new Set(watchers.mirrors.keys());
    const loops = [1, 2, 3].map(async (loop) => {
      for (let n = 0; loading; n++) {
        const id = await lifecycle(stats, `Rolling restart load ${loop}.${n}`);
        ids.push(id);
      }
    });
    // The restart begins with a task of each loop on its way.
    await waitFor(
      'every loop to create a task',
      async () => ([...watchers.mirrors.keys()].filter((id) => !earlier.has(id)).length >= 3 ? true : undefined),
      30_000,
    );
    const startedAt = Date.now();
    // Tasks created and not yet merged when the restart begins: their jobs and webhooks cross it.
    const inFlightAtStart = [...watchers.mirrors.keys()].filter((id) => !earlier.has(id) && !ids.includes(id)).length;
    const restart = await clusterCtl(dataDir, ['restart']);
    const endedAt = Date.now();
    loading = false;
    await Promise.all(loops);
    expect({ code: restart.code, ok: restart.answer?.ok }).toEqual({ code: 0, ok: true });
    const after = cluster.state();
    // Every node and worker was replaced.
    for (const n of before.nodes) expect(after.nodes.find((x) => x.name === n.name)!.pid).not.toBe(n.pid);
    for (const w of before.workers) expect(after.workers.find((x) => x.name === w.name)!.pid).not.toBe(w.pid);
    expect(stats.failures).toEqual([]);
    // No job lost: every task created during the restart reached `merged` (runTaskLifecycle waited for each step).
    expect(ids.length).toBeGreaterThanOrEqual(3);
    await watchers.converged(ids);
    const perClient = outages(startedAt, endedAt);
    measured.rollingRestart = {
      tookMs: endedAt - startedAt,
      tasksCompleted: ids.length,
      tasksInFlightAtStart: inFlightAtStart,
      requests: stats.requests,
      retried: stats.retried,
      longestDisconnectMs: Math.max(...perClient.map((c) => c.longestDisconnectMs)),
      longestWithoutEventsMs: Math.max(...perClient.map((c) => c.longestWithoutEventsMs)),
      perClient,
    };
    // Both nodes went, so every client reconnected at least once, and to the other node: well before its own node
    // was back (a restart takes 10-40 s here). 8.5 s was seen on a machine at load average 14; 20 s still fails a
    // client that waits for its own node.
    for (const c of perClient) expect(c.disconnects).toBeGreaterThanOrEqual(1);
    for (const c of perClient) expect(c.longestDisconnectMs).toBeLessThan(20_000);
  });

  it('scale out to 3 nodes and 2 workers: a new client lands on the new node', async () => {
    const { code, answer } = await clusterCtl(dataDir, ['scale', '--nodes', '3', '--workers', '2']);
    expect({ code, nodes: answer.status.nodes.map((n: any) => [n.name, n.state]), workers: answer.status.workers.length }).toEqual({
      code: 0,
      nodes: [
        ['server-1', 'ready'],
        ['server-2', 'ready'],
        ['server-3', 'ready'],
      ],
      workers: 2,
    });
    // Routed to: a request carrying the new slot's sticky cookie is answered by the new node.
    // HAProxy answers a cookie naming a server it cannot route to with a new cookie; none means server-3 answered.
    const routed = await fetch(`${cluster.url}/api/health`, { headers: { cookie: 'tfnode=server-3' } });
    expect({ status: routed.status, cookie: routed.headers.get('set-cookie') }).toEqual({ status: 200, cookie: null });
    // leastconn: the new node holds no connection yet, so newcomers go there (at worst after an equally idle older node).
    const port = cluster.state().nodes.find((n) => n.name === 'server-3')!.metricsPort!;
    await addClient(token, 'websocket');
    await addClient(token, 'websocket');
    expect((await nodeHealth(port)).websocket.connectedSockets).toBeGreaterThanOrEqual(1);
    const stats = newStats();
    await watchers.converged([await lifecycle(stats, 'After scaling out')]);
    expect(stats.failures).toEqual([]);
  });

  it('scale in to 1 node and 1 worker while tasks move: nothing is lost, every client ends on the remaining node', async () => {
    const stats = newStats();
    const watched = watchers.mirrors.size;
    const tasks = [lifecycle(stats, 'Scale in A'), lifecycle(stats, 'Scale in B')];
    // Scaled in with both tasks on their way.
    await waitFor('both tasks to be created', async () => (watchers.mirrors.size >= watched + 2 ? true : undefined), 30_000);
    const { code, answer } = await clusterCtl(dataDir, ['scale', '--nodes', '1', '--workers', '1']);
    expect({ code, nodes: answer.status.nodes.map((n: any) => n.name), workers: answer.status.workers.map((w: any) => w.name) }).toEqual({
      code: 0,
      nodes: ['server-1'],
      workers: ['worker-1'],
    });
    const ids = await Promise.all(tasks);
    expect(stats.failures).toEqual([]);
    await watchers.converged(ids);
    const port = cluster.state().nodes[0]!.metricsPort!;
    let sockets = 0;
    await waitFor(
      'every client on the remaining node',
      async () => ((sockets = (await nodeHealth(port)).websocket.connectedSockets) === watchers.clients.length ? true : undefined),
      30_000,
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}: ${sockets} sockets there, ${watchers.clients.length} clients (${watchers.clients.filter((c) => c.socket.connected).length} connected)`,
      );
    });
  });

  it('refuses bad input and changes nothing', async () => {
    const bad = await clusterCtl(dataDir, ['scale', '--nodes', '0']);
    expect({ code: bad.code, answer: bad.answer }).toEqual({
      code: 2,
      answer: { ok: false, error: 'nodes must be an integer from 1 to 16 (got 0)', badRequest: true },
    });
    const usage = await clusterCtl(dataDir, ['scale', '--nodes', 'many']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--nodes must be a whole number (got "many")');
    expect(cluster.state().nodes).toHaveLength(1);
  });
});
