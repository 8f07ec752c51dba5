import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReactElement, ReactNode } from 'react';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { TaskflowClient } from '@taskflow/client';
import { SessionProvider } from '../auth/session';
import { AppConfigContext, type AppConfig } from '../config/app-config';
import { RealtimeContext, webHttp } from '../realtime/socket';

/**
 * A real in-process Socket.IO server playing the gateway's part for component
 * tests, a real client connected to it, and the providers the app's pages need.
 */
export interface FakeGateway {
  server: Server;
  /** The app's client (@taskflow/client), connected; REST reads go through the app's `api` (tests stub `fetch`). */
  client: TaskflowClient;
  /** Handlers for client messages: return the ack's data, and emit through `socket`. */
  on(event: string, handler: (socket: ServerSocket, message: any) => unknown): void;
  wrapper(props: { children: ReactNode }): ReactElement;
  close(): Promise<void>;
}

/** What a handler returns to refuse a message: the ack is `{ ok: false, error: { code, message } }`. */
export class Refusal {
  constructor(readonly code: string) {}
}

export const ALICE = { id: 'u-alice', username: 'alice', name: 'Alice Anders', orgId: 'o1' };
/** A logged-in session as the server would answer `GET /api/auth/session`. */
export const SESSION = { user: ALICE, csrfToken: 'csrf', expiresAt: new Date(Date.now() + 3_600_000).toISOString(), idleSeconds: 7200 };

export async function startFakeGateway(): Promise<FakeGateway> {
  const handlers = new Map<string, (socket: ServerSocket, message: any) => unknown>();
  const httpServer = http.createServer();
  const server = new Server(httpServer);
  server.on('connection', (socket) => {
    socket.onAny((event: string, message: unknown, ack?: (a: unknown) => void) => {
      const handler = handlers.get(event);
      const data = handler ? handler(socket, message) : undefined;
      ack?.(data instanceof Refusal ? { ok: false, error: { code: data.code, message: data.code } } : { ok: true, data });
    });
  });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  const client = connectTestClient(`http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`);
  await new Promise((r) => client.on('connect', () => r(undefined)));
  const config: AppConfig = {
    features: { websocket: true, dashboard: true, taskDetail: true },
    repos: [{ fullName: 'acme/payments', isDefault: true, isPrivate: true }],
  };
  const value = { client, status: 'connected' as const, features: config.features };
  return {
    server,
    client,
    on: (event, handler) => handlers.set(event, handler),
    wrapper: ({ children }) => (
      <SessionProvider initial={SESSION}>
        <AppConfigContext.Provider value={config}>
          <RealtimeContext.Provider value={value}>{children}</RealtimeContext.Provider>
        </AppConfigContext.Provider>
      </SessionProvider>
    ),
    close: async () => {
      client.close();
      await server.close();
    },
  };
}

/** A TaskflowClient as the app makes one (the app's `api` for REST), on WebSocket only, to a test server at `url`. */
export function connectTestClient(url: string): TaskflowClient {
  return new TaskflowClient({ url, http: webHttp, socketOptions: { transports: ['websocket'] } });
}
