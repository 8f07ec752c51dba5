/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, renderHook, waitFor } from '@testing-library/react';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReactNode } from 'react';
import { Server } from 'socket.io';
import { io } from 'socket.io-client';
import type { PublicTask, TimelineEvent } from '@taskflow/events';
import { RealtimeContext, type AppSocket } from './socket';
import { useTaskSubscription } from './use-task-subscription';

/** The hook against a real in-process Socket.IO server that plays the gateway's part. */
const taskId = '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
const ev = (seq: number, status: string): TimelineEvent => ({ seq, eventType: 'analyzing', payload: { taskId, seq, status }, createdAt: new Date(seq * 1000).toISOString() });

let httpServer: http.Server;
let server: Server;
let client: AppSocket;
const resyncs: unknown[] = [];

beforeAll(async () => {
  httpServer = http.createServer();
  server = new Server(httpServer);
  server.on('connection', (socket) => {
    socket.on('task:join', (_msg, ack) => {
      socket.join('t');
      socket.emit('task:state', { taskId, seq: 1, task: { id: taskId, seq: 1, status: 'received' } as PublicTask, events: [ev(1, 'received')] });
      ack({ ok: true, data: { seq: 1 } });
    });
    socket.on('resync_requested', (msg, ack) => {
      resyncs.push(msg);
      ack({ ok: true, data: { results: [{ taskId, kind: 'events', events: [ev(3, 'dispatched'), ev(4, 'coding')] }] } });
    });
  });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  client = io(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`, { transports: ['websocket'] }) as AppSocket;
  await new Promise((r) => client.once('connect', () => r(undefined)));
});

afterAll(async () => {
  client.close();
  await new Promise((r) => server.close(() => r(undefined)));
});

const wrapper = ({ children }: { children: ReactNode }) => (
  <RealtimeContext.Provider value={{ socket: client, status: 'connected', features: { websocket: true, dashboard: true, taskDetail: true }, repos: [] }}>{children}</RealtimeContext.Provider>
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
  expect(resyncs).toEqual([{ taskIds: [taskId], since: { [taskId]: 2 } }]);
});
