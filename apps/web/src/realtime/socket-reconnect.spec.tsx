/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { renderHook, waitFor } from '@testing-library/react';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReactNode } from 'react';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { SessionProvider } from '../auth/session';
import { AppConfigProvider } from '../config/app-config';
import { SESSION } from '../testing/fake-gateway';
import { CONNECT_ERRORS, type ConnectErrorCode } from '@taskflow/events';
import { RealtimeProvider, useWebSocket } from './socket';

/**
 * The app's client (@taskflow/client, one per login) against a real Socket.IO server (on a free port, given to the provider):
 * after a server-side disconnect (`io server disconnect`, after which
 * socket.io-client does not reconnect by itself) it connects again; after an
 * expired session it logs out instead.
 */
/** A refusal as the server's connection limits send it (`err.data.code`). */
const connectRefusal = (code: ConnectErrorCode, retryAfterSeconds?: number) =>
  Object.assign(new Error(CONNECT_ERRORS[code]), { data: retryAfterSeconds === undefined ? { code } : { code, retryAfterSeconds } });

let url: string;
let httpServer: http.Server;
let server: Server;
const connections: ServerSocket[] = [];
/** How long the server waits before accepting a namespace CONNECT. */
let acceptDelayMs = 0;
/** Handshakes the server refuses as its per-user connection rate does, before it accepts again. */
let refuseForRate = 0;
/** Handshakes the server refuses as when it could not check the session or the limits (PostgreSQL, Redis away). */
let refuseUnavailable = 0;
/** Handshakes the server refuses as its auth middleware does for an ended session (a code that needs a new login). */
let refuseSessionExpired = 0;
/** Handshakes the middleware saw. */
let handshakes = 0;

beforeAll(async () => {
  httpServer = http.createServer();
  server = new Server(httpServer);
  server.use((_socket, next) => {
    handshakes += 1;
    if (refuseUnavailable > 0) {
      refuseUnavailable -= 1;
      return next(connectRefusal('UNAVAILABLE'));
    }
    if (refuseSessionExpired > 0) {
      refuseSessionExpired -= 1;
      // The code decides, not the sentence (which may change): a message the old /Session expired/ test missed.
      return next(Object.assign(new Error('Your browser session has ended'), { data: { code: 'SESSION_EXPIRED' } }));
    }
    if (refuseForRate > 0) {
      refuseForRate -= 1;
      return next(connectRefusal('SOCKET_RATE_LIMITED', 1));
    }
    void (acceptDelayMs ? setTimeout(next, acceptDelayMs) : next());
  });
  server.on('connection', (socket) => connections.push(socket));
  // A port of its own (0: the system picks a free one), so runs side by side never collide.
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  // The app reads its feature flags from /api/config (the browser's fetch; jsdom has none).
  globalThis.fetch = (async () => ({
    ok: true,
    status: 200,
    json: async () => ({ features: { websocket: true, dashboard: true, taskDetail: true }, repos: [] }),
  })) as unknown as typeof fetch;
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  connections.length = 0;
});

const wrapper = ({ children }: { children: ReactNode }) => (
  <SessionProvider initial={{ ...SESSION, idleSeconds: 4 }}>
    <AppConfigProvider>
      <RealtimeProvider url={url}>{children}</RealtimeProvider>
    </AppConfigProvider>
  </SessionProvider>
);

it('connects again after a server-side disconnect', async () => {
  const { result, unmount } = renderHook(() => useWebSocket(), { wrapper });
  await waitFor(() => expect(result.current.status).toBe('connected'));
  expect(connections).toHaveLength(1);
  connections[0]!.disconnect(true);
  await waitFor(() => expect(connections).toHaveLength(2), { timeout: 5000 });
  await waitFor(() => expect(result.current.status).toBe('connected'));
  expect(result.current.client).not.toBeNull();
  unmount();
});

it('tries again after retryAfterSeconds when a per-user limit refused the handshake', async () => {
  refuseForRate = 1;
  const { result, unmount } = renderHook(() => useWebSocket(), { wrapper });
  // socket.io-client would stay down after a middleware refusal; the app comes back after the 1 s it was told.
  await waitFor(() => expect(result.current.status).toBe('connected'), { timeout: 5000 });
  expect(refuseForRate).toBe(0);
  expect(connections).toHaveLength(1);
  unmount();
});

it('tries again with backoff when the server could not check the handshake (UNAVAILABLE)', async () => {
  refuseUnavailable = 2;
  handshakes = 0;
  const { result, unmount } = renderHook(() => useWebSocket(), { wrapper });
  // socket.io-client would stay down after the refusal; the app asks again after 250-500 ms, then 500-1000 ms.
  await waitFor(() => expect(result.current.status).toBe('connected'), { timeout: 5000 });
  expect(refuseUnavailable).toBe(0);
  expect(handshakes).toBe(3);
  expect(connections).toHaveLength(1);
  unmount();
});

it('does not send a second CONNECT when its limit retry fires while a connection is under way', async () => {
  refuseForRate = 1;
  const { result, unmount } = renderHook(() => useWebSocket(), { wrapper });
  await waitFor(() => expect(refuseForRate).toBe(0));
  // The client has the refusal (socket.io-client gave up: not active).
  await waitFor(() => expect(result.current.client?.socket?.active).toBe(false));
  // Refused, retry due in 1-1.5 s; meanwhile the page connects by itself (back online), and the server is slow.
  acceptDelayMs = 2500;
  try {
    result.current.client!.socket!.connect();
    await waitFor(() => expect(result.current.status).toBe('connected'), { timeout: 6000 });
    // A time in which a second CONNECT, sent by the timer at 1-1.5 s, would have been accepted too (2.5 s later).
    await new Promise((r) => setTimeout(r, 1600));
    expect(connections).toHaveLength(1);
    unmount();
  } finally {
    acceptDelayMs = 0;
  }
});

it('opens one connection when the server is slow to accept it (no second CONNECT while connecting)', async () => {
  // The namespace answers CONNECT only after 300 ms: the transport is open well before that.
  acceptDelayMs = 300;
  try {
    const { result, unmount } = renderHook(() => useWebSocket(), { wrapper });
    await waitFor(() => expect(result.current.status).toBe('connected'), { timeout: 5000 });
    // No second connection follows: a time in which it would have been opened.
    await new Promise((r) => setTimeout(r, 500));
    expect(connections).toHaveLength(1);
    unmount();
  } finally {
    acceptDelayMs = 0;
  }
});

it('logs out, and does not reconnect, when the server ends an expired session', async () => {
  const { result, unmount } = renderHook(() => useWebSocket(), { wrapper });
  await waitFor(() => expect(result.current.status).toBe('connected'));
  connections[0]!.emit('error', { code: 'TOKEN_EXPIRED', message: 'Session expired: log in again' });
  connections[0]!.disconnect(true);
  await waitFor(() => expect(result.current.client).toBeNull());
  // No reconnection: a time in which one would have happened.
  await new Promise((r) => setTimeout(r, 1500));
  expect(connections).toHaveLength(1);
  expect(result.current.client).toBeNull();
  unmount();
});

it('logs out, and does not retry, when the handshake is refused with a code that needs a new login', async () => {
  refuseSessionExpired = 1;
  handshakes = 0;
  const { result, unmount } = renderHook(() => useWebSocket(), { wrapper });
  // The socket exists once the handshake was sent; the refusal's code then ends the session, which drops it.
  await waitFor(() => expect(handshakes).toBe(1));
  await waitFor(() => expect(result.current.client).toBeNull(), { timeout: 5000 });
  // No retry: a time in which the backoff of a passing refusal would have sent one.
  await new Promise((r) => setTimeout(r, 1500));
  expect(handshakes).toBe(1);
  expect(connections).toHaveLength(0);
  unmount();
});

it('leaves when another tab logged out (session:ended) and does not come back', async () => {
  const { result, unmount } = renderHook(() => useWebSocket(), { wrapper });
  await waitFor(() => expect(result.current.status).toBe('connected'));
  connections[0]!.emit('session:ended', { reason: 'logout' });
  connections[0]!.disconnect(true);
  await waitFor(() => expect(result.current.client).toBeNull());
  // No reconnection: a time in which one would have happened.
  await new Promise((r) => setTimeout(r, 1500));
  expect(connections).toHaveLength(1);
  unmount();
});

it('slides the session on user activity with session:refresh on the same connection', async () => {
  const refreshes: unknown[] = [];
  server.once('connection', (socket) =>
    socket.on('session:refresh', (m: unknown, ack: (a: unknown) => void) => {
      refreshes.push(m);
      ack({ ok: true, data: { expiresAt: new Date(Date.now() + 4000).toISOString() } });
    }),
  );
  const { result, unmount } = renderHook(() => useWebSocket(), { wrapper });
  await waitFor(() => expect(result.current.status).toBe('connected'));
  const client = result.current.client;
  // A quarter of the 4 s idle time later, activity sends a refresh; the socket stays the same.
  await new Promise((r) => setTimeout(r, 1100));
  window.dispatchEvent(new KeyboardEvent('keydown'));
  await waitFor(() => expect(refreshes).toEqual([{}]));
  window.dispatchEvent(new KeyboardEvent('keydown'));
  // No second refresh so soon after the first: a time in which it would have been sent.
  await new Promise((r) => setTimeout(r, 100));
  expect(refreshes).toHaveLength(1);
  expect(result.current.client).toBe(client);
  expect(connections).toHaveLength(1);
  unmount();
});
