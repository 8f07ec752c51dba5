import type { ServerEventName } from '@taskflow/events';
import { SeqLedger } from '../check/seq-ledger';
import { Histogram } from '../stats/histogram';
import { WindowedLatency } from '../stats/windowed-latency';
import { LightSocket, nowMs } from './light-socket';
import type { ChildMessage, Finals, LostSample, ParentMessage, PollPlan, SocketPlan } from './messages';

/**
 * One process of the load generator (forked by GeneratorPool): opens its share of the
 * sockets, answers pings, checks every delivery's seq and times it, and reports
 * aggregates to the parent over IPC. Exits when the parent says so or goes away.
 */
interface Tracked {
  plan: SocketPlan;
  socket: LightSocket;
  ledger: SeqLedger;
  /** Connections after the first (reconnects and moves), and `sync:required` re-joins: for the lost samples. */
  reconnections: number;
  rejoins: number;
  /**
   * Between a `dashboard:state` and its join's ack: the rows the node sends after the snapshot (what reached it
   * between its shared read and this join) are catch-up, as the snapshot is, so they are checked but not timed.
   */
  catchingUp: boolean;
}

/** Joins the socket's room (again); resolves with the ack, after which rows are live again. */
async function joinRoom(t: Tracked): Promise<{ ok?: boolean; error?: { code?: string } } | undefined> {
  try {
    return (await t.socket.emitWithAck(t.plan.join.event, t.plan.join.data)) as { ok?: boolean; error?: { code?: string } } | undefined;
  } finally {
    t.catchingUp = false;
  }
}

const tracked: Tracked[] = [];
const latency = new Histogram();
const windows = new WindowedLatency();
/** `connection:reconnect` received, and the moves whose reconnect or re-join failed. */
let moves = 0;
let moveErrors = 0;
/** The parent said close: no more reconnects. */
let stopping = false;
let deliveries = 0;
let frames = 0;
let unexpectedCloses = 0;
let polls = 0;
let pollErrors = 0;
/** The slow readers (slow-clients), counted apart: the others' figures are the measurement. */
const slow = { sockets: 0, fellBehind: 0, othersFellBehind: 0, deliveries: 0, closes: 0 };
/** `sync:required` received by the measured (not slow) sockets, by reason, and the re-joins it led to that failed. */
const syncRequired: Record<string, number> = {};
let rejoinErrors = 0;
const pollLedgers = new Map<PollPlan, SeqLedger>();

const send = (m: ChildMessage) => process.send?.(m);
const timeOf = (iso: unknown) => (typeof iso === 'string' ? Date.parse(iso) : NaN);

type Row = { taskId?: string; seq?: number; updatedAt?: string };
type Handler = (t: Tracked, payload: any, receivedAt: number) => void;

function timed(receivedAt: number, ms: number): void {
  latency.record(ms);
  windows.record(receivedAt, ms);
}

/** Times and checks a dashboard row (latest-row semantics); only a row's first live delivery is timed. */
function onRow(ledger: SeqLedger, row: Row, receivedAt: number, live = true): void {
  if (typeof row?.taskId !== 'string' || typeof row.seq !== 'number') return;
  deliveries += 1;
  if (ledger.deliver(row.taskId, 'latest', row.seq) === 'ok' && live) {
    const committed = timeOf(row.updatedAt);
    if (Number.isFinite(committed)) timed(receivedAt, receivedAt - committed);
  }
}

const HANDLERS: Partial<Record<ServerEventName, Handler>> = {
  'dashboard:state': (t, p: { tasks?: Row[] }) => {
    for (const row of p?.tasks ?? []) if (row.taskId && typeof row.seq === 'number') t.ledger.snapshot(row.taskId, 'latest', row.seq);
    t.catchingUp = true;
  },
  'dashboard:task_list_updated': (t, p: Row, at) => onRow(t.ledger, p, at, !t.catchingUp),
  'task:state': (t, p: { taskId: string; seq: number }) => {
    t.ledger.snapshot(`${p.taskId}|status`, 'every', p.seq);
    t.ledger.snapshot(`${p.taskId}|event`, 'every', p.seq);
  },
  'task:event_added': (t, p: { taskId: string; seq: number; event?: { createdAt?: string } }, at) => {
    deliveries += 1;
    if (t.ledger.deliver(`${p.taskId}|event`, 'every', p.seq) === 'ok') {
      const committed = timeOf(p.event?.createdAt);
      if (Number.isFinite(committed)) timed(at, at - committed);
    }
  },
};

/** Snapshots answer a join; they are not part of the live stream the frame rate counts. */
const SNAPSHOTS = new Set<string>(['dashboard:state', 'task:state'] satisfies ServerEventName[]);

/**
 * The node asks this socket to reconnect elsewhere (it holds more than its share after a scale-out): as the client
 * library does, reconnect at once through the load balancer and join again; the join's snapshot covers the gap.
 */
async function move(t: Tracked): Promise<void> {
  moves += 1;
  t.reconnections += 1;
  try {
    t.ledger.reconnected();
    await t.socket.reconnect();
    const ack = await joinRoom(t);
    if (!ack?.ok) throw new Error('join refused');
  } catch {
    moveErrors += 1;
    t.socket.terminate();
  }
}

/** The client library's reconnect policy (socket.io-client's backoff as TaskflowClient configures it). */
const RECONNECT = { firstMs: 1000, maxMs: 5000, jitter: 0.5, giveUpMs: 120_000 };
const reconnectMs = new Histogram();
let reconnects = 0;
let reconnectsPending = 0;

/** Its node went away (reconnect plans): back through the load balancer with jittered backoff, then join again. */
async function comeBack(t: Tracked): Promise<void> {
  const closedAt = nowMs();
  reconnects += 1;
  reconnectsPending += 1;
  for (let attempt = 0; nowMs() - closedAt < RECONNECT.giveUpMs && !stopping; attempt++) {
    const base = Math.min(RECONNECT.maxMs, RECONNECT.firstMs * 2 ** attempt);
    await new Promise((r) => setTimeout(r, base * (1 - RECONNECT.jitter + 2 * RECONNECT.jitter * Math.random())));
    try {
      t.ledger.reconnected();
      t.reconnections += 1;
      await t.socket.connect();
      const ack = await joinRoom(t);
      if (!ack?.ok) throw new Error('join refused');
      reconnectMs.record(nowMs() - closedAt);
      reconnectsPending -= 1;
      return;
    } catch {
      // Connected but not joined (a refused or unanswered join): that connection must not stay open beside the next
      // attempt's, or two connections would feed one ledger. Tried again after the next backoff.
      t.socket.terminate();
    }
  }
}

/**
 * The node says this socket missed broadcasts (its subscription to Redis was interrupted, or the socket fell behind):
 * as the client library does, join again on the same connection; the join's snapshot covers what was missed.
 */
async function rejoin(t: Tracked): Promise<void> {
  t.rejoins += 1;
  try {
    const ack = await joinRoom(t);
    if (!ack?.ok) throw new Error('join refused');
  } catch {
    rejoinErrors += 1;
  }
}

function onEvent(t: Tracked, name: string, payload: unknown, at: number): void {
  if (name === 'connection:reconnect') return void move(t);
  if (name === 'sync:required') {
    const reason = String((payload as { reason?: unknown } | undefined)?.reason);
    if (t.plan.slowBytesPerSec !== undefined) {
      if (reason === 'fell_behind') slow.fellBehind += 1;
    } else {
      syncRequired[reason] = (syncRequired[reason] ?? 0) + 1;
      if (reason === 'fell_behind') slow.othersFellBehind += 1;
    }
    return void rejoin(t);
  }
  if (t.plan.slowBytesPerSec !== undefined) {
    if (!SNAPSHOTS.has(name)) slow.deliveries += 1;
    return;
  }
  if (!SNAPSHOTS.has(name)) frames += 1;
  // Several dashboard events in one frame (the socket joined with `batch: true`): each item is a delivery.
  if (name === 'dashboard:batch') {
    for (const item of (payload as { items?: Array<{ event: string; payload: unknown }> } | undefined)?.items ?? [])
      deliver(t, item.event, item.payload, at);
    return;
  }
  deliver(t, name, payload, at);
}

function deliver(t: Tracked, name: string, payload: unknown, at: number): void {
  const handler = HANDLERS[name as ServerEventName];
  if (handler) return handler(t, payload, at);
  // Every other task-scoped event is a status event of a task room: each seq once, in order.
  const p = payload as { taskId?: unknown; seq?: unknown } | undefined;
  if (name.startsWith('task:') && typeof p?.taskId === 'string' && typeof p.seq === 'number') {
    deliveries += 1;
    t.ledger.deliver(`${p.taskId}|status`, 'every', p.seq);
  }
}

async function openAll(url: string, plans: SocketPlan[], connectsPerSec: number, timeoutMs: number): Promise<void> {
  const connectJoin = new Histogram();
  // dashboard:join / task:join alone: from sending the join to its ack, per socket.
  const join = new Histogram();
  const errorSamples: string[] = [];
  let errors = 0;
  const gapMs = connectsPerSec > 0 ? 1000 / connectsPerSec : 0;
  const started = nowMs();
  // Unpaced: bounded concurrency, the sockets open as fast as the server takes them. Paced: arrivals at the
  // asked rate whatever the server's answer time (clients arriving do not wait for each other).
  const maxInFlight = gapMs > 0 ? Number.POSITIVE_INFINITY : 256;
  let inFlight = 0;
  const waiters: Array<() => void> = [];
  const openOne = async (plan: SocketPlan) => {
    const t0 = nowMs();
    const t: Tracked = {
      plan,
      ledger: new SeqLedger(),
      reconnections: 0,
      rejoins: 0,
      catchingUp: false,
      socket: new LightSocket({
        url: plan.url ?? url,
        auth: plan.token ? { token: plan.token } : undefined,
        localAddress: plan.localAddress,
        timeoutMs,
        onEvent: (name, payload, at) => onEvent(t, name, payload, at),
        onUnexpectedClose: () => {
          if (plan.reconnect) return void comeBack(t);
          if (plan.slowBytesPerSec === undefined) unexpectedCloses += 1;
          else slow.closes += 1;
        },
      }),
    };
    try {
      await t.socket.connect();
      const j0 = nowMs();
      const ack = await joinRoom(t);
      if (!ack?.ok) throw new Error(`${plan.join.event} refused: ${ack?.error?.code ?? 'no ack'}`);
      const acked = nowMs();
      join.record(acked - j0);
      connectJoin.record(acked - t0);
      tracked.push(t);
      if (plan.slowBytesPerSec !== undefined) {
        slow.sockets += 1;
        t.socket.throttle(plan.slowBytesPerSec);
      }
    } catch (err) {
      errors += 1;
      t.socket.terminate();
      if (errorSamples.length < 5) errorSamples.push((err as Error).message);
    }
  };
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < plans.length; i++) {
    if (gapMs > 0) {
      const wait = started + i * gapMs - nowMs();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    while (inFlight >= maxInFlight) await new Promise<void>((r) => waiters.push(r));
    inFlight += 1;
    pending.push(
      openOne(plans[i]!).finally(() => {
        inFlight -= 1;
        waiters.shift()?.();
      }),
    );
  }
  await Promise.all(pending);
  send({ type: 'opened', connected: tracked.length, errors, errorSamples, connectJoin: connectJoin.snapshot(), join: join.snapshot() });
}

/**
 * What the web app's dashboard asks every 5 s when it has no live updates (apps/web
 * use-dashboard-subscription: one page of 100 rows, the counts come in the same answer).
 */
const POLL_PATH = '/api/tasks?limit=100';

/** Dashboards that poll `GET /api/tasks` instead of listening: staleness = first sight of a seq − its commit. */
async function pollAll(url: string, dashboards: PollPlan[], everyMs: number, durationMs: number): Promise<void> {
  const end = Date.now() + durationMs;
  const loop = async (d: PollPlan, offsetMs: number) => {
    const ledger = new SeqLedger();
    pollLedgers.set(d, ledger);
    // Rows seen by a poll; the first poll is the snapshot (like dashboard:state), not a delivery.
    const seen = new Map<string, number>();
    let first = true;
    await new Promise((r) => setTimeout(r, offsetMs));
    while (Date.now() < end) {
      const next = Date.now() + everyMs;
      try {
        const res = await fetch(`${url}${POLL_PATH}`, {
          headers: d.cookie ? { cookie: d.cookie } : { authorization: `Bearer ${d.token}` },
          signal: AbortSignal.timeout(everyMs),
        });
        const body = (await res.json()) as { tasks?: Array<Row & { id?: string }> };
        const at = nowMs();
        polls += 1;
        if (!res.ok) pollErrors += 1;
        for (const row of body.tasks ?? []) {
          const taskId = row.taskId ?? row.id;
          if (!taskId || typeof row.seq !== 'number' || row.seq <= (seen.get(taskId) ?? 0)) continue;
          seen.set(taskId, row.seq);
          if (first) ledger.snapshot(taskId, 'latest', row.seq);
          else onRow(ledger, { taskId, seq: row.seq, updatedAt: row.updatedAt }, at);
        }
        if (res.ok) first = false;
      } catch {
        pollErrors += 1;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
  };
  await Promise.all(dashboards.map((d, i) => loop(d, (i * everyMs) / dashboards.length)));
  send({ type: 'polled' });
}

/** At most this many lost pairs are described in a report (which socket, where its stream stood). */
const LOST_SAMPLES = 20;

function report(finals: Finals): void {
  let lost = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  let repeatedAcrossReconnect = 0;
  const lostSamples: LostSample[] = [];
  const count = (ledger: SeqLedger, scope: string, kinds: Array<[suffix: string, kind: 'latest' | 'every']>, t?: Tracked) => {
    duplicated += ledger.duplicated;
    outOfOrder += ledger.outOfOrder;
    repeatedAcrossReconnect += ledger.repeatedAcrossReconnect;
    for (const [taskId, seq] of Object.entries(finals[scope] ?? {}))
      for (const [suffix, kind] of kinds) {
        const missing = ledger.lost(`${taskId}${suffix}`, kind, seq);
        lost += missing;
        if (missing > 0 && lostSamples.length < LOST_SAMPLES)
          lostSamples.push({
            stream: `${taskId}${suffix}`,
            finalSeq: seq,
            ...(ledger.position(`${taskId}${suffix}`) ?? { base: 0, max: 0, maxBefore: 0 }),
            socket: t ? { connected: t.socket.connected, reconnections: t.reconnections, rejoins: t.rejoins } : 'poll',
          });
      }
  };
  for (const t of tracked) {
    if (t.plan.slowBytesPerSec !== undefined) continue;
    const kinds: Array<[string, 'latest' | 'every']> =
      t.plan.join.event === 'task:join'
        ? [
            ['|status', 'every'],
            ['|event', 'every'],
          ]
        : [['', 'latest']];
    count(t.ledger, t.plan.scope, kinds, t);
  }
  for (const [d, ledger] of pollLedgers) count(ledger, d.scope, [['', 'latest']]);
  send({
    type: 'report',
    latency: latency.snapshot(),
    windows: windows.snapshot(),
    moves,
    moveErrors,
    reconnects,
    reconnectMs: reconnectMs.snapshot(),
    reconnectsPending,
    deliveries,
    frames,
    lost,
    duplicated,
    outOfOrder,
    repeatedAcrossReconnect,
    lostSamples,
    syncRequired: { ...syncRequired },
    rejoinErrors,
    unexpectedCloses,
    connected: tracked.filter((t) => t.socket.connected).length,
    polls,
    pollErrors,
    slow: { ...slow },
  });
}

function closeAll(): void {
  stopping = true;
  for (const t of tracked) t.socket.terminate();
  tracked.length = 0;
}

const COMMANDS: { [K in ParentMessage['type']]: (m: Extract<ParentMessage, { type: K }>) => void } = {
  open: (m) =>
    void openAll(m.url, m.sockets, m.connectsPerSec, m.timeoutMs).catch((err: Error) => send({ type: 'error', message: err.message })),
  poll: (m) =>
    void pollAll(m.url, m.dashboards, m.everyMs, m.durationMs).catch((err: Error) => send({ type: 'error', message: err.message })),
  report: (m) => report(m.finals),
  close: () => {
    closeAll();
    process.exit(0);
  },
};

process.on('message', (m: ParentMessage) => (COMMANDS[m.type] as (msg: ParentMessage) => void)(m));
// The parent is gone (even killed): nothing is left to report to.
process.on('disconnect', () => process.exit(0));
