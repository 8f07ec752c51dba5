/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { renderHook, waitFor } from '@testing-library/react';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReactNode } from 'react';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { LIVE_RECHECK_SECONDS } from '@taskflow/events';
import { SessionProvider } from '../auth/session';
import { AppConfigProvider } from '../config/app-config';
import { SESSION } from '../testing/fake-gateway';
import { RealtimeProvider, useFeedClient, useWebSocket } from './socket';

/**
 * A page taken out of live updates (`live:off`) whose `/api/config` keeps saying live: the user was opted out and
 * back in within seconds, and the first recheck after `live:off` failed. The page must poll meanwhile and go live
 * again by itself, though the flags never changed (a real Socket.IO server; `fetch` is the network boundary).
 */
let url: string;
let httpServer: http.Server;
let server: Server;
const connections: ServerSocket[] = [];
/** `/api/config` answers refused while this is above 0 (one per request). */
let configFailures = 0;
const asked: string[] = [];

beforeAll(async () => {
  httpServer = http.createServer();
  server = new Server(httpServer);
  server.on('connection', (socket) => connections.push(socket));
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  globalThis.fetch = (async (path: string) => {
    asked.push(path);
    if (path === '/api/config' && configFailures > 0) {
      configFailures -= 1;
      return { ok: false, status: 503, json: async () => ({ error: 'UNAVAILABLE', message: 'down' }) };
    }
    return {
      ok: true,
      status: 200,
      json: async () => ({ features: { websocket: true, dashboard: true, taskDetail: true }, repos: [], tasks: [], items: [] }),
    };
  }) as unknown as typeof fetch;
});

afterAll(async () => {
  await server.close();
});

const wrapper = ({ children }: { children: ReactNode }) => (
  <SessionProvider initial={SESSION}>
    <AppConfigProvider>
      <RealtimeProvider url={url}>{children}</RealtimeProvider>
    </AppConfigProvider>
  </SessionProvider>
);

it('polls after live:off and, its recheck failed and the flags unchanged, goes live again with a new client', async () => {
  const { result, unmount } = renderHook(() => ({ ws: useWebSocket(), feed: useFeedClient('dashboard') }), { wrapper });
  await waitFor(() => expect(result.current.ws.status).toBe('connected'), { timeout: 5000 });
  const first = result.current.ws.client!;
  expect(result.current.feed).toBe(first);

  // Taken out; the recheck it triggers fails (and a later one would find the flags as they were: live).
  configFailures = 1;
  const configAsks = () => asked.filter((p) => p === '/api/config').length;
  const before = configAsks();
  connections[0]!.emit('live:off', { reason: 'rollout' });
  connections[0]!.disconnect(true);

  // Meanwhile the page polls: the feeds read the REST API through a client without a socket, the header says so.
  await waitFor(() => expect(result.current.ws.status).toBe('disabled'), { timeout: 5000 });
  expect(result.current.ws.liveOff).toBe(true);
  expect(result.current.feed).not.toBe(first);
  expect(result.current.feed?.socket ?? null).toBeNull();

  // It keeps asking (the first answer failed) and, told live, makes a new client that connects.
  await waitFor(() => expect(connections).toHaveLength(2), { timeout: LIVE_RECHECK_SECONDS * 1000 * 2 });
  await waitFor(() => expect(result.current.ws.status).toBe('connected'), { timeout: 5000 });
  expect(configAsks() - before).toBeGreaterThanOrEqual(2);
  expect(result.current.ws.client).not.toBe(first);
  expect(result.current.ws.liveOff).toBe(false);
  expect(result.current.feed).toBe(result.current.ws.client);
  unmount();
}, 20_000);
