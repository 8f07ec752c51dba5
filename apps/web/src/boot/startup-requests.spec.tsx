/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { render, screen, waitFor } from '@testing-library/react';
import type { TaskflowClient } from '@taskflow/client';
import { SessionProvider, useSession } from '../auth/session';
import { AppConfigProvider, useAppConfig } from '../config/app-config';
import { sendStartupRequests, takeStartupClient } from './startup-requests';

const SESSION = {
  user: { id: 'u-alice', username: 'alice', name: 'Alice', orgId: 'acme' },
  csrfToken: 'csrf',
  expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  idleSeconds: 1800,
};
const requested: string[] = [];
let loggedIn = true;
let websocket = true;
let release: () => void = () => undefined;
/** The server answers nothing until `release()`: every request is on its way before any answer. */
let gate = Promise.resolve();

/** The network boundary only: the server's answers for a logged-in (or logged-out) user. */
function serve() {
  requested.length = 0;
  gate = new Promise<void>((r) => (release = r));
  globalThis.fetch = (async (url: string) => {
    requested.push(url);
    await gate;
    if (!loggedIn) return { ok: false, status: 401, json: async () => ({ error: 'UNAUTHORIZED', message: 'log in' }) } as Response;
    const body =
      url === '/api/auth/session'
        ? SESSION
        : url === '/api/repos'
          ? { repos: [{ fullName: 'acme/payments', isDefault: true, isPrivate: true }] }
          : { features: { websocket, dashboard: true, taskDetail: true } };
    return { ok: true, status: 200, json: async () => body } as Response;
  }) as typeof fetch;
}

function Probe() {
  const { session } = useSession();
  return <p>{session ? `user ${session.user.username}` : 'logged out'}</p>;
}
function ConfigProbe() {
  const config = useAppConfig();
  return <p>{config ? `websocket ${String(config.features.websocket)}` : 'loading'}</p>;
}
const fakeClient = () => ({ close: jest.fn() }) as unknown as TaskflowClient;

beforeEach(() => {
  loggedIn = true;
  websocket = true;
  takeStartupClient('nobody');
});

it('asks for the session, the flags and the repositories at once, and the providers use those answers', async () => {
  serve();
  const connect = jest.fn(fakeClient);
  sendStartupRequests(connect);
  // All three are on their way before anything rendered (and before any answered).
  expect([...requested].sort()).toEqual(['/api/auth/session', '/api/config', '/api/repos']);
  render(
    <SessionProvider>
      <Probe />
      <AppConfigProvider>
        <ConfigProbe />
      </AppConfigProvider>
    </SessionProvider>,
  );
  release();
  await screen.findByText('user alice');
  await screen.findByText('websocket true');
  // Nothing asked twice.
  expect(requested).toHaveLength(3);
  // Both said live: a client was connected before React asked for one, and it is this login's.
  expect(connect).toHaveBeenCalledTimes(1);
  const client = connect.mock.results[0]!.value as TaskflowClient;
  expect(takeStartupClient('u-alice')).toBe(client);
  // Once only: a later client (after live:off, a new login) is made afresh.
  expect(takeStartupClient('u-alice')).toBeUndefined();
});

it('closes the early client when another login asks, and connects none when the flags say polling', async () => {
  serve();
  const connect = jest.fn(fakeClient);
  sendStartupRequests(connect);
  release();
  await waitFor(() => expect(connect).toHaveBeenCalledTimes(1));
  const client = connect.mock.results[0]!.value as TaskflowClient;
  expect(takeStartupClient('u-bob')).toBeUndefined();
  expect(client.close).toHaveBeenCalledTimes(1);

  websocket = false;
  serve();
  const none = jest.fn(fakeClient);
  sendStartupRequests(none);
  release();
  render(
    <SessionProvider>
      <AppConfigProvider>
        <ConfigProbe />
      </AppConfigProvider>
    </SessionProvider>,
  );
  await screen.findByText('websocket false');
  expect(none).not.toHaveBeenCalled();
  expect(takeStartupClient('u-alice')).toBeUndefined();
});

it('logged out: the refused start-up answers are not used, and after login the flags are asked again', async () => {
  loggedIn = false;
  serve();
  const connect = jest.fn(fakeClient);
  sendStartupRequests(connect);
  release();
  render(
    <SessionProvider>
      <Probe />
    </SessionProvider>,
  );
  await screen.findByText('logged out');
  expect(connect).not.toHaveBeenCalled();
  // The user logs in; the app's configuration is read for them, not taken from the refused start-up answer.
  loggedIn = true;
  serve();
  release();
  render(
    <AppConfigProvider>
      <ConfigProbe />
    </AppConfigProvider>,
  );
  await screen.findByText('websocket true');
  expect([...requested].sort()).toEqual(['/api/config', '/api/repos']);
});
