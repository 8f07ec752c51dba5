import pino from 'pino';
import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import { transition } from '@taskflow/store';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { testEnv } from '@taskflow/testing';
import { startPipelineStack, type PipelineStack } from '../testing/pipeline-stack';
import { EventPublisher } from './outbox.publisher';
import { RedisBroadcaster } from './redis.broadcaster';

/**
 * A client written only from the original specification's event list and docs/websocket.md's "Differences from
 * the original specification": a bare socket.io-client, plain objects, no contract types and no test mirror. It
 * reads `task:state` as the task, takes `creator` as a string and the counts' `total`, and after a reconnect
 * sends `resync_requested` (naming its task, then bare) and reads the `task:state` events it answers with.
 * The broadcasts come from the worker's real publisher through Redis to a real server node.
 */
jest.setTimeout(120_000);

type Frame = { event: string; payload: any };

let stack: PipelineStack;
let redis: Redis;
let publisher: EventPublisher;
let socket: Socket;
const frames: Frame[] = [];

async function waitFor(what: string, predicate: (f: Frame) => boolean, timeoutMs = 15_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = frames.find(predicate);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${frames.map((f) => f.event).join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Events named `event` for the task that arrived after `since` frames (clients written to the specification read events, not acks). */
const after = (since: number, event: string, taskId: string) => (f: Frame) =>
  frames.indexOf(f) >= since && f.event === event && f.payload?.taskId === taskId;

function connected(): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
    socket.connect();
  });
}

beforeAll(async () => {
  stack = await startPipelineStack();
  redis = new Redis(testEnv('TEST_REDIS_URL'), { commandTimeout: 2000 });
  publisher = new EventPublisher(stack.f.db, new RedisBroadcaster(redis), pino({ level: 'silent' }));
});

afterAll(async () => {
  socket?.close();
  await publisher?.idle();
  redis?.disconnect();
  await stack?.close();
});

it('follows a task as the specification describes it, across a reconnect', async () => {
  const login = await fetch(`${stack.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: FIXTURE_PASSWORD }),
  });
  const { token } = (await login.json()) as { token: string };
  socket = io(stack.url, { auth: { token }, transports: ['websocket'], autoConnect: false, reconnection: false, forceNew: true });
  socket.onAny((event: string, payload: unknown) => frames.push({ event, payload }));
  await connected();

  // The dashboard (differences table: `dashboard:join {}` joins the org's and the user's own rooms).
  socket.emit('dashboard:join', {});
  const dashboard = (await waitFor('dashboard:state', (f) => f.event === 'dashboard:state')).payload;
  expect(dashboard.counts.total).toBe(dashboard.counts.activeCount + dashboard.counts.completedCount + dashboard.counts.failedCount);

  // A task created over HTTP arrives on the dashboard with its creator's name.
  const created = await fetch(`${stack.url}/api/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ title: 'Spec client task', description: 'Followed by a client written from the spec.' }),
  });
  expect(created.status).toBe(202);
  const taskId = ((await created.json()) as { task: { id: string } }).task.id;
  await publisher.publishTask(taskId);
  const announced = (await waitFor('task:created', after(0, 'task:created', taskId))).payload;
  expect(announced).toMatchObject({ taskId, title: 'Spec client task', status: 'received', creator: 'Alice' });
  const row = (await waitFor('the dashboard row', after(0, 'dashboard:task_list_updated', taskId))).payload;
  expect(row.creator).toBe('Alice');
  const counted = (await waitFor('the new counts', (f) => f.event === 'dashboard:task_count_changed')).payload;
  expect(counted.total).toBe(counted.activeCount + counted.completedCount + counted.failedCount);
  expect(counted.total).toBe(dashboard.counts.total + 1);

  // task:join answers task:state: the payload is the task.
  socket.emit('task:join', { taskId });
  const state = (await waitFor('task:state', after(0, 'task:state', taskId))).payload;
  expect(state).toMatchObject({ taskId, title: 'Spec client task', status: 'received', creator: 'Alice' });

  // A status event, live.
  await transition(stack.f.db, { taskId, from: 'received', to: 'analyzing', event: 'analyzing' });
  await publisher.publishTask(taskId);
  expect((await waitFor('task:analyzing', after(0, 'task:analyzing', taskId))).payload.status).toBe('analyzing');

  // Offline while the task moves on.
  socket.disconnect();
  await transition(stack.f.db, {
    taskId,
    from: 'analyzing',
    to: 'needs_clarification',
    event: 'clarification_needed',
    patch: { clarificationQuestions: ['Which report?'] },
  });
  await publisher.publishTask(taskId);

  // Back: a reconnect is a new connection in no room, so the first resync names the task (and re-joins it) ...
  await connected();
  let mark = frames.length;
  socket.emit('resync_requested', { taskIds: [taskId] });
  const caughtUp = (await waitFor('task:state after the reconnect', after(mark, 'task:state', taskId))).payload;
  expect(caughtUp).toMatchObject({ taskId, status: 'needs_clarification', clarificationQuestions: ['Which report?'] });

  // ... the room is joined again: live events flow ...
  await transition(stack.f.db, { taskId, from: 'needs_clarification', to: 'cancelled', event: 'cancelled' });
  await publisher.publishTask(taskId);
  expect((await waitFor('task:cancelled', after(mark, 'task:cancelled', taskId))).payload.status).toBe('cancelled');

  // ... and a bare resync_requested (no payload) answers task:state for every task the socket follows.
  mark = frames.length;
  socket.emit('resync_requested');
  expect((await waitFor('task:state after a bare resync', after(mark, 'task:state', taskId))).payload.status).toBe('cancelled');
  expect(frames.filter((f) => f.event === 'error')).toEqual([]);
});
