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
 * Connections rebalance after a scale-out (`npm run cluster`, then `npm run cluster:ctl -- scale --nodes 4`): the
 * new nodes start empty, the old ones ask a few sockets per second to reconnect (`connection:reconnect`), the
 * client library reconnects at once and HAProxy's least-connections choice sends it to a new node, even when it
 * carries the old node's sticky cookie. Meanwhile tasks run and every client must end with every event once, in order.
 */
// A ceiling for hangs: on an idle machine the whole file takes about a minute.
jest.setTimeout(240_000);

const PASSWORD = 'rebalance-password';
const CLIENTS = 48;
/** REBALANCE_MAX_SHARE_PER_SECOND in this test: 10 % of a node's sockets per second (the default, 0.5 %, is for thousands). */
const SHARE = 0.1;
let cluster: SpawnedCluster;
let database: TestDatabase;
let dataDir: string;
let token: string;
let watchers: TaskWatchers;
const measured: Record<string, unknown> = {};

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-rebalance-'));
  database = await createTestDatabase('rebalance');
  watchers = new TaskWatchers(database.url);
  cluster = await spawnCluster(dataDir, {
    DATABASE_URL: database.url,
    SEED_DEMO: 'true',
    DEMO_PASSWORD: PASSWORD,
    NODES: '2',
    WORKERS: '1',
    REBALANCE_MAX_SHARE_PER_SECOND: String(SHARE),
    REBALANCE_MARGIN: '0.05',
    REBALANCE_MIN_EXCESS: '1',
    REBALANCE_INTERVAL_MS: '1000',
    // Fresher snapshots of the other nodes' counts than the operations view needs.
    ADMIN_STATS_INTERVAL_MS: '500',
    // 24 sockets per user, each mirroring every task and re-joining after its move: above the default budgets.
    WEBSOCKET_MAX_SOCKETS_PER_USER: '100',
    WEBSOCKET_CONNECTS_PER_MINUTE: '1000',
    WEBSOCKET_RATE_PER_SOCKET: '500',
    WEBSOCKET_RATE_PER_USER: '5000',
    TASK_CREATE_PER_MINUTE: '1000',
    TASK_WRITE_PER_MINUTE: '1000',
    TASK_READ_PER_MINUTE: '10000',
  });
  token = await login(cluster.url, 'alice', PASSWORD);
  const bob = await login(cluster.url, 'bob', PASSWORD);
  // One after the other, so that HAProxy's leastconn spreads them over both nodes; one in four on long-polling.
  for (let i = 0; i < CLIENTS; i++) await addClient(i % 2 ? bob : token, i % 4 === 3 ? 'polling' : 'websocket');
}, 300_000);

afterAll(async () => {
  for (const c of watchers?.clients ?? []) c.close();
  const code = await cluster?.stop();
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  console.log(`cluster rebalance, measured: ${JSON.stringify(measured)}`);
  expect(code).toBe(0);
});

async function addClient(t: string, transport: 'websocket' | 'polling'): Promise<TestSocket> {
  const c = await openSocket(cluster.url, { token: t, transports: [transport], reconnection: true });
  c.socket.on('connect', () => void c.request('dashboard:join').catch(() => undefined));
  await c.request('dashboard:join');
  await watchers.add(c);
  return c;
}

async function nodeCounts(): Promise<Array<{ name: string; sockets: number; moved: number }>> {
  return Promise.all(
    cluster.state().nodes.map(async (n) => {
      const [health, metrics] = await Promise.all([
        nodeHealth(n.metricsPort!),
        fetch(`http://127.0.0.1:${n.metricsPort}/metrics`).then((r) => r.text()),
      ]);
      const moved = Number(/^taskflow_socket_rebalanced_total (\d+)/m.exec(metrics)?.[1] ?? 0);
      return { name: n.name, sockets: health.websocket.connectedSockets as number, moved };
    }),
  );
}

describe('npm run cluster: connections rebalance after a scale-out', () => {
  it('two nodes share the clients; once within the margin, no socket moves', async () => {
    // HAProxy's leastconn counts connections (API keep-alives, long-polls), not sockets: a node may start a few
    // sockets above its share and shed them. Settled: within the margin, and no move for two decisions in a row.
    let counts = await nodeCounts();
    let last = '';
    let stableSince = Date.now();
    await waitFor('both nodes within 5 % of the mean, moves settled', async () => {
      counts = await nodeCounts();
      const moved = counts.map((c) => c.moved).join();
      if (moved !== last) [last, stableSince] = [moved, Date.now()];
      const total = counts.reduce((a, c) => a + c.sockets, 0);
      const within = total === CLIENTS && counts.every((c) => c.sockets <= Math.floor((CLIENTS / 2) * 1.05));
      return within && Date.now() - stableSince >= 2500 ? true : undefined;
    });
    measured.movedWhileConnecting = counts.map((c) => c.moved);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await nodeCounts()).map((c) => c.moved)).toEqual(counts.map((c) => c.moved));
  });

  it('scale 2 → 4: every node ends within ±10 % of the mean, a few sockets per second, nothing lost or doubled', async () => {
    const stats: LoadStats = { requests: 0, retried: {}, failures: [] };
    const call = retryingClient(cluster.url, stats);
    const lifecycle = (title: string) =>
      runTaskLifecycle(call, cluster.url, token, cluster.webhookSecret(), title, (id) => watchers.watch(id));
    const watched = watchers.mirrors.size;
    const tasks = [lifecycle('Rebalance A'), lifecycle('Rebalance B')];
    await waitFor('both tasks to be created', async () => (watchers.mirrors.size >= watched + 2 ? true : undefined), 30_000);
    // Where both counts start: the nodes' moves and the clients' disconnects, read with no move in between.
    const movedSoFar = async () => (await nodeCounts()).reduce((a, c) => a + c.moved, 0);
    let movesBefore = new Map<TestSocket, number>();
    let movedBefore = -1;
    for (let read = await movedSoFar(); read !== movedBefore; read = await movedSoFar()) {
      movedBefore = read;
      await new Promise((r) => setTimeout(r, 300));
      movesBefore = new Map(watchers.clients.map((c) => [c, c.disconnects.length]));
    }

    const scaled = await clusterCtl(dataDir, ['scale', '--nodes', '4']);
    expect({ code: scaled.code, nodes: scaled.answer.status.nodes.map((n: any) => n.state) }).toEqual({
      code: 0,
      nodes: ['ready', 'ready', 'ready', 'ready'],
    });
    const scaledAt = Date.now();
    // A moved client's new Engine.IO session (`rebalance=1`) is not pinned by its old node's cookie: the handshake goes
    // to the least loaded node and comes back with that node's cookie. Without it, the cookie still picks the node.
    const handshake = (query: string) =>
      fetch(`${cluster.url}/socket.io/?EIO=4&transport=polling${query}`, { headers: { cookie: 'tfnode=server-1' } }).then((r) => ({
        status: r.status,
        cookie: /tfnode=(server-\d)/.exec(r.headers.get('set-cookie') ?? '')?.[1],
      }));
    expect(await handshake('&rebalance=1')).toEqual({ status: 200, cookie: expect.stringMatching(/^server-[34]$/) });
    expect(await handshake('')).toEqual({ status: 200, cookie: undefined });

    const timeline: Array<{ atMs: number; sockets: number[]; moved: number[] }> = [];
    const mean = CLIENTS / 4;
    await waitFor(
      'every node within ±10 % of the mean',
      async () => {
        const counts = await nodeCounts();
        timeline.push({ atMs: Date.now() - scaledAt, sockets: counts.map((c) => c.sockets), moved: counts.map((c) => c.moved) });
        const balanced = counts.length === 4 && counts.every((c) => Math.abs(c.sockets - mean) <= mean * 0.1);
        return balanced && counts.reduce((a, c) => a + c.sockets, 0) === CLIENTS ? true : undefined;
      },
      90_000,
    ).finally(() => {
      // Once per count change, for the note and for a failure's reader.
      measured.timeline = timeline
        .filter((t, i) => i === 0 || t.sockets.join() !== timeline[i - 1]!.sockets.join())
        .map((t) => `${t.atMs} ms: ${t.sockets.join('/')} (moved ${t.moved.join('/')})`);
    });
    measured.balancedAfterMs = Date.now() - scaledAt;

    // The old nodes moved about half the clients, and sockets did not go back and forth: `scale` starts the new nodes
    // one after the other, so the fewest moves are a third of the clients to the third node, then a quarter to the
    // fourth; a few more where a node briefly took more than its share (the other nodes' counts it reads are up to
    // 0.5 s old) or where HAProxy's leastconn, which counts connections rather than sockets, sent a moved socket back
    // to its old node (a CI run saw one client move three times; a busy one, 37 moves for the 28 needed). Fewer moves
    // than clients: no back-and-forth churn. Never more per second than the share allows (2 of 24 per decision, one
    // decision a second; a decision's moves spread over its second).
    const last = timeline.at(-1)!;
    const moved = last.moved.reduce((a, n) => a + n, 0) - movedBefore;
    expect(moved).toBeGreaterThanOrEqual(CLIENTS / 2 - 4);
    expect(moved).toBeLessThan(CLIENTS);
    const perSecondCap = 2 * Math.max(1, Math.floor((CLIENTS / 2) * SHARE));
    for (let i = 0; i < timeline.length; i++) {
      const later = timeline.slice(i).find((t) => t.atMs - timeline[i]!.atMs >= 1000);
      if (!later) break;
      for (const node of [0, 1]) expect(later.moved[node]! - timeline[i]!.moved[node]!).toBeLessThanOrEqual(perSecondCap);
    }

    measured.moved = moved;
    // Polling clients moved too (their cookie did not pin them to the old node).
    const movedPolling = watchers.clients.filter(
      (c) => c.socket.io.opts.transports?.[0] === 'polling' && c.disconnects.length > movesBefore.get(c)!,
    ).length;
    measured.movedPolling = movedPolling;

    const ids = await Promise.all(tasks);
    expect(stats.failures).toEqual([]);
    await watchers.converged(ids);
    // It settles: no move for two decisions in a row, and every node still within ±10 % of the mean.
    let lastMoved = '';
    let quietSince = Date.now();
    const settled = await waitFor('moves to settle', async () => {
      const counts = await nodeCounts();
      const moved = counts.map((c) => c.moved).join();
      if (moved !== lastMoved) [lastMoved, quietSince] = [moved, Date.now()];
      return Date.now() - quietSince >= 2500 ? counts : undefined;
    });
    expect(settled.every((c) => Math.abs(c.sockets - mean) <= mean * 0.1)).toBe(true);
    // Each move the nodes counted is one client that left and came back (the mirrors converged above): by itself on the
    // event (`io client disconnect`), or, when the client was too busy to act within the grace or a long-polling
    // request was caught between the two nodes, on a transport error. A busy run (load 3+) saw 34 of the first and 8
    // of the second for 41 moves, an idle one only the first. Nothing else disconnects anyone here, and there is no
    // churn: at most a quarter more disconnects than moves. Compared once quiet: a move decided before the balance was
    // seen may land after it.
    const reasons = watchers.clients.flatMap((c) => c.disconnects.slice(movesBefore.get(c)).map((d) => d.reason));
    const byReason = reasons.reduce<Record<string, number>>((a, r) => ({ ...a, [r]: (a[r] ?? 0) + 1 }), {});
    measured.disconnectReasons = byReason;
    const moves = settled.reduce((a, c) => a + c.moved, 0) - movedBefore;
    expect(Object.keys(byReason).filter((r) => r !== 'io client disconnect' && r !== 'transport error' && r !== 'transport close')).toEqual(
      [],
    );
    expect(byReason['io client disconnect'] ?? 0).toBeLessThanOrEqual(moves);
    expect(reasons.length).toBeGreaterThanOrEqual(moves);
    expect(reasons.length).toBeLessThanOrEqual(Math.ceil(moves * 1.25));
  });
});
