/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, renderHook, waitFor } from '@testing-library/react';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReactNode } from 'react';
import { Server } from 'socket.io';
import type { PublicTask, TimelineEvent } from '@taskflow/events';
import type { TaskflowClient } from '@taskflow/client';
import { connectTestClient } from '../testing/fake-gateway';
import { RealtimeContext } from './socket';
import { useTaskSubscription } from './use-task-subscription';

/** The hook against a real in-process Socket.IO server that plays the gateway's part. */
const taskId = '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
const ev = (seq: number, status: string): TimelineEvent => ({
  seq,
  eventType: 'analyzing',
  payload: { taskId, seq, status },
  createdAt: new Date(seq * 1000).toISOString(),
});

let httpServer: http.Server;
let server: Server;
let client: TaskflowClient;
const resyncs: unknown[] = [];
/** Codes the next joins are refused with, in order (then joins succeed); and how many joins arrived. */
let joinFailures: string[] = [];
let joins = 0;
/** Codes the next resyncs are refused with, in order; and the events a resync answers (those after `since`). */
let resyncFailures: string[] = [];
let committed = [ev(3, 'dispatched'), ev(4, 'coding')];
/** What the server's snapshot says (a test may commit more before the client re-joins). */
let snapshot = { seq: 1, status: 'received', events: [ev(1, 'received')] };

beforeAll(async () => {
  httpServer = http.createServer();
  server = new Server(httpServer);
  server.on('connection', (socket) => {
    socket.on('task:join', (_msg, ack) => {
      joins += 1;
      const refused = joinFailures.shift();
      if (refused) return ack({ ok: false, error: { code: refused, message: refused } });
      void socket.join('t'); // the in-memory adapter joins synchronously, before the snapshot below
      const { seq, status, events } = snapshot;
      socket.emit('task:state', { taskId, seq, task: { id: taskId, seq, status } as PublicTask, events });
      ack({ ok: true, data: { seq } });
    });
    socket.on('resync_requested', (msg: { since: Record<string, number> }, ack) => {
      resyncs.push(msg);
      const refused = resyncFailures.shift();
      if (refused) return ack({ ok: false, error: { code: refused, message: refused } });
      const events = committed.filter((e) => e.seq > msg.since[taskId]!);
      ack({ ok: true, data: { results: [{ taskId, kind: 'events', events }] } });
    });
  });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  client = connectTestClient(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`);
  await new Promise((r) => client.on('connect', () => r(undefined)));
});

afterAll(async () => {
  client.close();
  await server.close();
});

const wrapper = ({ children }: { children: ReactNode }) => (
  <RealtimeContext.Provider value={{ client, status: 'connected', features: { websocket: true, dashboard: true, taskDetail: true } }}>
    {children}
  </RealtimeContext.Provider>
);

it('applies seq = last + 1, ignores duplicates and resyncs on a gap', async () => {
  const { result } = renderHook(() => useTaskSubscription(taskId), { wrapper });
  await waitFor(() => expect(result.current.view?.last).toBe(1));

  act(() => void server.to('t').emit('task:event_added', { taskId, seq: 2, event: ev(2, 'analyzing') }));
  await waitFor(() => expect(result.current.view?.last).toBe(2));
  expect(result.current.view?.task.status).toBe('analyzing');

  act(() => void server.to('t').emit('task:event_added', { taskId, seq: 2, event: ev(2, 'analyzing') }));
  act(() => void server.to('t').emit('task:event_added', { taskId, seq: 4, event: ev(4, 'coding') }));
  await waitFor(() => expect(result.current.view?.last).toBe(4));
  expect(result.current.view?.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  expect(result.current.view?.task.status).toBe('coding');
  expect(resyncs).toEqual([{ taskIds: [taskId], since: { [taskId]: 2 }, reply: 'ack' }]);
});

it('catches up since its last seq when the server says sync:required', async () => {
  snapshot = { seq: 1, status: 'received', events: [ev(1, 'received')] };
  committed = [ev(2, 'analyzing'), ev(3, 'dispatched')];
  const { result } = renderHook(() => useTaskSubscription(taskId), { wrapper });
  await waitFor(() => expect(result.current.view?.last).toBe(1));
  // Committed while the node's subscription was down (`committed`): the broadcasts never came.
  act(() => void server.emit('sync:required', { reason: 'subscription_interrupted' }));
  await waitFor(() => expect(result.current.view?.last).toBe(3));
  expect(result.current.view?.events.map((e) => e.seq)).toEqual([1, 2, 3]);
  expect(result.current.view?.task.status).toBe('dispatched');
});

it("never shows another task's view: a new taskId starts empty in the same render", async () => {
  snapshot = { seq: 1, status: 'received', events: [ev(1, 'received')] };
  const otherId = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
  const rendered: Array<[asked: string, shown: string | undefined]> = [];
  const { result, rerender } = renderHook(
    ({ id }) => {
      const subscription = useTaskSubscription(id);
      rendered.push([id, subscription.view?.task.id]);
      return subscription;
    },
    { wrapper, initialProps: { id: taskId } },
  );
  await waitFor(() => expect(result.current.view?.task.id).toBe(taskId));
  rerender({ id: otherId });
  // This server has only the first task: the second one stays empty, and no render showed the first for it
  // (given a time in which a wrong render would have happened).
  await new Promise((r) => setTimeout(r, 200));
  expect(result.current.view).toBeUndefined();
  expect(rendered.filter(([asked, shown]) => shown !== undefined && shown !== asked)).toEqual([]);
  expect(rendered.some(([asked]) => asked === otherId)).toBe(true);
});

it('joins again with backoff when a join is refused for a reason that passes, and shows the task', async () => {
  snapshot = { seq: 1, status: 'received', events: [ev(1, 'received')] };
  joins = 0;
  joinFailures = ['UNAVAILABLE', 'RATE_LIMITED'];
  const { result } = renderHook(() => useTaskSubscription(taskId), { wrapper });
  await waitFor(() => expect(result.current.view?.last).toBe(1), { timeout: 10_000 });
  expect(joins).toBe(3);
  expect(result.current.notFound).toBe(false);
});

it('does not retry a join the server answers NOT_FOUND: the page says so', async () => {
  joins = 0;
  joinFailures = ['NOT_FOUND'];
  const { result } = renderHook(() => useTaskSubscription(taskId), { wrapper });
  await waitFor(() => expect(result.current.notFound).toBe(true));
  // Longer than the first two backoff delays: a retry would have arrived.
  await new Promise((r) => setTimeout(r, 1600));
  expect(joins).toBe(1);
});

it('sends one resync at a time after a gap, again while the server is busy, and asks once more for a gap seen meanwhile', async () => {
  snapshot = { seq: 1, status: 'received', events: [ev(1, 'received')] };
  committed = [ev(2, 'analyzing'), ev(3, 'dispatched'), ev(4, 'coding')];
  resyncs.length = 0;
  resyncFailures = ['UNAVAILABLE'];
  const { result } = renderHook(() => useTaskSubscription(taskId), { wrapper });
  await waitFor(() => expect(result.current.view?.last).toBe(1));
  // Two out-of-order events while the server is busy: one resync, refused, sent again; not one per event, no giving up.
  act(() => {
    server.to('t').emit('task:event_added', { taskId, seq: 3, event: ev(3, 'dispatched') });
    server.to('t').emit('task:event_added', { taskId, seq: 4, event: ev(4, 'coding') });
  });
  await waitFor(() => expect(result.current.view?.last).toBe(4), { timeout: 5000 });
  expect(result.current.view?.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  // Refused, sent again, then once more for the gap seen while the first was in flight (it found nothing new).
  await waitFor(() => expect(resyncs).toHaveLength(3));
  expect(resyncs).toEqual([1, 1, 4].map((since) => ({ taskIds: [taskId], since: { [taskId]: since }, reply: 'ack' })));
});
