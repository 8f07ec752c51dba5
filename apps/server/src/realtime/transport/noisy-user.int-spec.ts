import { Worker } from 'node:worker_threads';
import { createStoreFixture, FIXTURE_PASSWORD, type StoreFixture } from '@taskflow/store/testing';
import { login, openSocket, type AppProcess, type TestSocket } from '@taskflow/testing';
import { startServerNode } from '../../testing/server-node';

/**
 * One user (bob) makes 2,000 socket connection attempts, 200 in flight at a time, and runs 50 searches at once
 * against one node (its own process); meanwhile another user (alice, same org) keeps listing tasks, joining a task
 * on her open socket and opening new sockets, and /api/ready is polled. Bob's flood comes from a worker thread, so
 * that this thread only measures. His sockets beyond WEBSOCKET_MAX_SOCKETS_PER_USER (30) and his handshakes beyond
 * WEBSOCKET_CONNECTS_PER_MINUTE (60) are refused in the handshake, his searches beyond TASK_READS_IN_FLIGHT_PER_USER
 * (4) running at once answer 429.
 *
 * What per-user limits cannot bound is the cost of accepting a connection before it names its user: all 2,000
 * opened at the same instant stalled the node's event loop for 6.8-7.5 s on a 2-core machine at load 20, with the
 * limits and without them alike (a per-address connection limit at the balancer is what bounds that). Hence 200 in
 * flight; and on such a machine an answer now and then takes over 1 s whatever the load (at load average 15, 3 of
 * 28 of her lists did), so the deadline holds for the median of each kind of alice's requests (3x her own p95
 * just before the flood on a machine slower than that), and no readiness check may take as long as the balancer's check timeout.
 */
jest.setTimeout(300_000);

const SOCKETS = 2000;
const SEARCHES = 50;
/** Bob's handshakes in flight at once (see the note above). */
const CONCURRENCY = 200;
const DEADLINE_MS = 1000;
/** HAProxy's `timeout check`: a slower answer is a failed check. */
const CHECK_TIMEOUT_MS = 3000;
/** Longer than any answer of hers while bob is bounded, even at load average 15 (3.1 s seen); 2,000 handshakes at once stall the node 7 s. */
const STARVED_MS = 6000;
const ROUND_MS = 700;

let f: StoreFixture;
let server: AppProcess;
let url: string;
let lagMax: () => Promise<number>;
let taskId: string;
let alice: TestSocket | undefined;

beforeAll(async () => {
  f = await createStoreFixture();
  // Something to search through: tasks of both users in their org.
  for (let i = 0; i < 40; i++) taskId = (await f.newTask(i % 2 ? f.users.alice : f.users.bob, { title: `Invoice fix ${i}` })).task.id;
  const node = await startServerNode(f.url, { LOG_LEVEL: 'warn' });
  server = node.process;
  url = node.url;
  // The node's longest event-loop stall since the last scrape (prom-client's default metrics).
  lagMax = () => node.metric('taskflow_server_nodejs_eventloop_lag_max_seconds');
});
afterAll(async () => {
  alice?.close();
  await server?.stop('SIGKILL');
  await f?.close();
});

interface FloodResult {
  sockets: Record<string, number>;
  searches: Record<string, number>;
  ms: number;
}

/** Bob's flood from a worker thread; resolves with its tally once every handshake and search was answered. */
function flood(token: string): { done: Promise<FloodResult>; close: () => Promise<number> } {
  const source = `
    const { parentPort, workerData: { base, token, sockets, searches, concurrency } } = require('node:worker_threads');
    const { io } = require('socket.io-client');
    const t0 = Date.now();
    const tally = { sockets: {}, searches: {} };
    const count = (kind, key) => (tally[kind][key] = (tally[kind][key] || 0) + 1);
    const open = [];
    const connectOne = () => new Promise((resolve) => {
      const s = io(base, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 60000 });
      open.push(s);
      s.once('connect', () => (count('sockets', 'connected'), resolve()));
      s.once('connect_error', (err) => (count('sockets', (err.data && err.data.code) || err.message), s.close(), resolve()));
    });
    const search = (i) => fetch(base + '/api/tasks?q=invoice' + i + '&status=received', { headers: { authorization: 'Bearer ' + token } })
      .then((r) => r.text().then(() => count('searches', r.status)), (err) => count('searches', err.name));
    // A pool of \`concurrency\` handshakes in flight: each answer starts the next attempt at once.
    let started = 0;
    const lane = async () => { while (started < sockets) { started++; await connectOne(); } };
    Promise.all([
      ...Array.from({ length: concurrency }, lane),
      ...Array.from({ length: searches }, (_, i) => search(i)),
    ]).then(() => parentPort.postMessage({ ...tally, ms: Date.now() - t0 }));
    parentPort.on('message', () => {
      const connected = open.filter((s) => s.connected).length;
      for (const s of open) s.close();
      parentPort.postMessage(connected);
    });
  `;
  const worker = new Worker(source, {
    eval: true,
    workerData: { base: url, token, sockets: SOCKETS, searches: SEARCHES, concurrency: CONCURRENCY },
  });
  const done = new Promise<FloodResult>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    done,
    close: async () => {
      const connected = new Promise<number>((resolve) => worker.once('message', resolve));
      worker.postMessage('close');
      const n = await connected;
      await worker.terminate();
      return n;
    },
  };
}

interface Probe {
  what: 'list' | 'ready' | 'join' | 'connect';
  ok: boolean;
  ms: number;
  /** When it started, ms after the flood did. */
  at: number;
}

let floodStart = 0;
async function timed(what: Probe['what'], run: () => Promise<boolean>): Promise<Probe> {
  const t0 = performance.now();
  const ok = await run().catch(() => false);
  return { what, ok, ms: performance.now() - t0, at: t0 - floodStart };
}

/** How often the node logged each message (its pino lines). */
function logCounts(output: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of output.split('\n')) {
    const msg = /"msg":"([^"]*)"/.exec(line)?.[1];
    if (msg) counts[msg] = (counts[msg] ?? 0) + 1;
  }
  return counts;
}

const stats = (probes: Probe[]) => {
  const ms = probes.map((p) => p.ms).sort((a, b) => a - b);
  const at = (q: number) => (ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? 0).toFixed(0);
  return `${probes.length}x p50 ${at(0.5)} p95 ${at(0.95)} max ${at(1)} ms${probes.every((p) => p.ok) ? '' : `, ${probes.filter((p) => !p.ok).length} failed`}`;
};

it(`keeps another user under ${DEADLINE_MS} ms (or 3x her own pace on a busy machine) while one user opens ${SOCKETS} sockets and runs ${SEARCHES} searches`, async () => {
  const [bobToken, aliceToken] = [await login(url, 'bob', FIXTURE_PASSWORD), await login(url, 'alice', FIXTURE_PASSWORD)];
  alice = await openSocket(url, { token: aliceToken });
  const headers = { authorization: `Bearer ${aliceToken}` };
  const list = () => fetch(`${url}/api/tasks`, { headers, signal: AbortSignal.timeout(30_000) }).then((r) => r.status === 200);
  const ready = () => fetch(`${url}/api/ready`, { signal: AbortSignal.timeout(30_000) }).then((r) => r.status === 200);
  // Her join is timed; the leave that lets her join again is not (it is a request of its own).
  const join = async () => (await alice!.request('task:join', { taskId }, 30_000)).ok;
  const leave = () => alice!.request('task:leave', { taskId }, 30_000);
  const connect = async () => {
    const s = await openSocket(url, { token: aliceToken });
    s.close();
    return true;
  };

  // Alice's pace on this machine before bob starts: on a machine busy with other work every answer is slower, and
  // the deadline scales with it (3x her own p95 then), so what fails is bob's flood slowing her, not the machine.
  const baseline: Probe[] = [];
  for (let round = 0; round < 6; round++) {
    baseline.push(await timed('list', list), await timed('join', join), await timed('ready', ready));
    await leave();
    if (round % 2 === 0) baseline.push(await timed('connect', connect));
  }
  const baselineMs = baseline.map((p) => p.ms).sort((a, b) => a - b);
  const deadlineMs = Math.max(DEADLINE_MS, 3 * (baselineMs[Math.floor(0.95 * (baselineMs.length - 1))] ?? 0));

  await lagMax();
  floodStart = performance.now();
  const bob = flood(bobToken);
  let flooding = true;
  const result = bob.done.finally(() => (flooding = false));
  const probes: Probe[] = [];
  // The balancer's view: /api/ready polled every 100 ms throughout (enough samples for the 95 % rule to mean something;
  // a dozen per-round samples let one slow answer on a busy machine decide the test).
  const checks = (async () => {
    while (flooding) {
      probes.push(await timed('ready', ready));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  // Alice's requests in turn, as fast as they are answered (a slow answer delays the next), until bob's flood is over.
  // At most one round per ROUND_MS: a person's pace, within her own budgets (TASK_LIST_PER_MINUTE is 120).
  for (let round = 0; flooding || round < 4; round++) {
    const roundStart = performance.now();
    probes.push(await timed('list', list), await timed('join', join));
    await leave();
    // Her own new sockets every other round: enough of them for a median (one in five gave 3 in a busy run, and two
    // slow ones decided it), well inside her own handshake budget (≤ 20 a minute against 60).
    if (round % 2 === 0) probes.push(await timed('connect', connect));
    await new Promise((r) => setTimeout(r, Math.max(0, ROUND_MS - (performance.now() - roundStart))));
  }
  const tally = await result;
  await checks;
  const bobConnected = await bob.close();
  const stalledMs = (await lagMax()) * 1000;

  const of = (what: Probe['what']) => probes.filter((p) => p.what === what);
  process.stdout.write(
    `bob, ${SOCKETS} sockets + ${SEARCHES} searches in ${(tally.ms / 1000).toFixed(1)} s: sockets ${JSON.stringify(tally.sockets)}, ` +
      `searches ${JSON.stringify(tally.searches)}, ${bobConnected} still open at the end; node's longest event-loop stall ${stalledMs.toFixed(0)} ms\n` +
      `alice before: ${stats(baseline)}, so her deadline is ${deadlineMs.toFixed(0)} ms\n` +
      `alice meanwhile: GET /api/tasks ${stats(of('list'))}; task:join ${stats(of('join'))}; new socket ${stats(of('connect'))}; ` +
      `/api/ready ${stats(of('ready'))}\n` +
      `slowest: ${JSON.stringify(
        [...probes]
          .sort((a, b) => b.ms - a.ms)
          .slice(0, 5)
          .map((p) => `${p.what} ${p.ms.toFixed(0)} ms at +${p.at.toFixed(0)} ms`),
      )}; node logged: ${JSON.stringify(logCounts(server.output()))}\n`,
  );

  // Bob: at most his cap of sockets open, the rest refused with a stable code; searches beyond his share refused.
  expect(tally.sockets.connected).toBeLessThanOrEqual(30);
  expect((tally.sockets.TOO_MANY_SOCKETS ?? 0) + (tally.sockets.SOCKET_RATE_LIMITED ?? 0)).toBe(SOCKETS - tally.sockets.connected!);
  expect(bobConnected).toBe(tally.sockets.connected);
  expect(tally.searches['200']).toBeGreaterThan(0);
  expect((tally.searches['200'] ?? 0) + (tally.searches['429'] ?? 0)).toBe(SEARCHES);

  // Alice: everything answered and the node ready throughout; her requests within the deadline (the median of each
  // kind, see the note above), and none as slow as a balancer's check timeout.
  expect(of('list').length).toBeGreaterThanOrEqual(4);
  expect(probes.filter((p) => !p.ok)).toEqual([]);
  // Half of each kind within the deadline: a starved alice (bob unbounded) waits seconds for most of hers.
  const median = (what: Probe['what']) =>
    of(what)
      .map((p) => p.ms)
      .sort((a, b) => a - b)[Math.floor(of(what).length / 2)] ?? 0;
  const slowMedians = (['list', 'join', 'connect', 'ready'] as const).filter((what) => median(what) >= deadlineMs);
  expect(slowMedians).toEqual([]);
  // The balancer's checks never time out (it would take the node out); none of hers waits as long as a starved one.
  expect(of('ready').filter((p) => p.ms >= CHECK_TIMEOUT_MS)).toEqual([]);
  expect(probes.filter((p) => p.ms >= STARVED_MS)).toEqual([]);
});
