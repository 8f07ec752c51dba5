/**
 * A complete minimal Taskflow Live client (docs/websocket.md): logs in, follows the
 * dashboard and, optionally, one task, and keeps an exact copy of that task through
 * disconnects, node drains and restarts. Its only dependency is socket.io-client (v4); outside
 * the clone, next to this file: `npm i socket.io-client@4.8 tsx`, then
 *
 *   TASKFLOW_URL=http://localhost:3000 TASKFLOW_USER=alice TASKFLOW_PASSWORD=taskflow \
 *     npx tsx minimal-client.ts [taskId]     (or TASKFLOW_TASK=<taskId>)
 *
 * It prints one line per thing it does or learns, e.g. `task <id> seq=3 status=dispatched`.
 */
import { io, type Socket } from 'socket.io-client';

const url = process.env.TASKFLOW_URL ?? 'http://localhost:3000';
const username = process.env.TASKFLOW_USER ?? 'alice';
const password = process.env.TASKFLOW_PASSWORD ?? 'taskflow';
const taskId = process.argv[2] ?? process.env.TASKFLOW_TASK;

type Ack<T> = { ok: true; data?: T } | { ok: false; error: { code: string; message: string } };
interface TimelineEvent {
  seq: number;
  eventType: string;
  payload: Record<string, unknown>;
  createdAt: string;
}
interface TaskState {
  taskId: string;
  seq: number;
  task: { status: string } & Record<string, unknown>;
  events: TimelineEvent[];
}
type ResyncResult =
  | { taskId: string; kind: 'events'; events: TimelineEvent[] }
  | { taskId: string; kind: 'state'; state: TaskState }
  | { taskId: string; kind: 'not_found' };

/** Every server→client event about one task carries its taskId and seq (task:event_added repeats the seq of the other). */
const TASK_EVENTS = [
  'task:created',
  'task:analyzing',
  'task:clarification_needed',
  'task:clarified',
  'task:dispatched',
  'task:coding',
  'task:pr_opened',
  'task:pr_merged',
  'task:pr_closed',
  'task:failed',
  'task:cancelled',
  'task:retried',
  'task:llm_response',
  'task:pr_updated',
  'task:review_submitted',
  'task:checks_completed',
  'task:comment_added',
  'task:event_added',
];

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function logIn(): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login failed: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** The followed task: the last seq applied, and live events held back until the first snapshot. */
const mirror = { seq: 0, status: '', pending: [] as Array<{ seq: number; status?: string }>, synced: false };

function applySnapshot(state: TaskState): void {
  if (state.seq < mirror.seq) return; // older than what we have
  mirror.seq = state.seq;
  mirror.status = state.task.status;
  mirror.synced = true;
  log(`task ${state.taskId} snapshot seq=${state.seq} status=${state.task.status}`);
  const held = mirror.pending.sort((a, b) => a.seq - b.seq);
  mirror.pending = [];
  for (const event of held) applyLive(event);
}

/** Apply seq = last + 1; drop seq <= last (already have it); on a gap, ask for what is missing. */
function applyLive(event: { seq: number; status?: string }): void {
  if (!mirror.synced) {
    mirror.pending.push(event);
    return;
  }
  if (event.seq <= mirror.seq) return;
  if (event.seq > mirror.seq + 1) {
    void resync();
    return;
  }
  mirror.seq = event.seq;
  if (event.status) mirror.status = event.status;
  log(`task ${taskId} seq=${mirror.seq} status=${mirror.status}`);
}

async function resync(): Promise<void> {
  if (!taskId) return;
  const ack = (await socket.emitWithAck('resync_requested', { taskIds: [taskId], since: { [taskId]: mirror.seq } })) as Ack<{
    results: ResyncResult[];
  }>;
  if (!ack.ok) return log(`resync refused: ${ack.error.code} ${ack.error.message}`);
  for (const result of ack.data?.results ?? []) {
    if (result.kind === 'state') applySnapshot(result.state);
    if (result.kind === 'not_found') log(`task ${taskId} is gone or no longer visible`);
    if (result.kind === 'events') {
      // Timeline events carry the status they moved to (when they moved it) in their payload.
      for (const e of result.events) applyLive({ seq: e.seq, status: typeof e.payload.status === 'string' ? e.payload.status : undefined });
      log(`task ${taskId} resynced to seq=${mirror.seq}`);
    }
  }
}

/** Joining answers with a fresh snapshot, so re-joining after any reconnect also fills any gap. */
async function joinRooms(): Promise<void> {
  const dashboard = (await socket.emitWithAck('dashboard:join', {})) as Ack<{ count: number }>;
  log(dashboard.ok ? `dashboard joined (${dashboard.data?.count ?? 0} tasks)` : `dashboard refused: ${dashboard.error.code}`);
  if (!taskId) return;
  mirror.synced = false;
  const task = (await socket.emitWithAck('task:join', { taskId })) as Ack<{ seq: number }>;
  if (!task.ok) log(`task refused: ${task.error.code} ${task.error.message}`);
}

/** The session token, reused across reconnects; dropped when the server says it expired or is invalid. */
let token: string | undefined;

const socket: Socket = io(url, {
  // Called before every connection attempt.
  auth: (cb) => {
    if (token) return cb({ token });
    logIn().then(
      (fresh) => cb({ token: (token = fresh) }),
      (err: Error) => {
        log(`login failed: ${err.message}`);
        cb({}); // refused as "Authentication required"; retried below
      },
    );
  },
  // WebSocket first; if it cannot open (a proxy blocks upgrades), long-polling instead.
  transports: ['websocket', 'polling'],
  tryAllTransports: true,
  // Keeps the load balancer's sticky cookie, which long-polling needs (in Node as in browsers).
  withCredentials: true,
});

socket.on('connect', () => {
  log(`connected over ${socket.io.engine.transport.name}`);
  void joinRooms();
});
socket.on('connect_error', (err) => {
  log(`connect error: ${err.message}`);
  // A network-level failure is retried by socket.io-client itself (socket.active stays true). A refusal by
  // the server (expired or invalid token, no token, a node shutting down) is not: log in again and retry.
  if (socket.active) return;
  if (/Session expired|Invalid token|Authentication required/.test(err.message)) token = undefined;
  setTimeout(() => socket.connect(), 1000);
});
socket.on('disconnect', (reason) => {
  log(`disconnected: ${reason}`);
  // A drain closes the transport ("transport close"): socket.io-client reconnects by itself. After a
  // server-side disconnect ("io server disconnect", e.g. the session expired) it does not: do it here.
  if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000);
});
socket.on('error', (e: { code?: string; message: string }) => {
  log(`error: ${e.code ?? ''} ${e.message}`);
  if (e.code === 'TOKEN_EXPIRED') token = undefined; // the disconnect that follows reconnects with a new login
});
socket.on('task:state', (state: TaskState) => {
  if (state.taskId === taskId) applySnapshot(state);
});
for (const name of TASK_EVENTS) {
  socket.on(name, (p: { taskId: string; seq: number; status?: string }) => {
    if (p.taskId === taskId) applyLive({ seq: p.seq, status: p.status });
  });
}
socket.on('dashboard:task_list_updated', (row: { taskId: string; status: string }) => log(`dashboard ${row.taskId} ${row.status}`));
// A node lost broadcasts (its Redis subscription was interrupted): catch up by seq.
socket.on('sync:required', () => void resync());

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    socket.close();
    process.exit(0);
  });
}
