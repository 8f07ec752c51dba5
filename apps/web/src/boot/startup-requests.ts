import type { TaskflowClient } from '@taskflow/client';
import type { OrgRepo } from '@taskflow/events';
import { api } from '../api/client';
import type { Session } from '../auth/session';
import type { Features } from '../config/app-config';

/**
 * First connect (page load → first live frame) was four round trips in a row, each waiting for React to render the
 * answer before the next was asked: the session, then the flags and repositories, then the socket. The page now
 * asks for the first three at once while the bundle is still starting, and each provider takes its answer the first
 * time it mounts. A request that failed (logged out: the flags answer 401) is not taken: the provider asks again.
 * When both say live, the socket connects at once too, while React renders the page.
 */
interface StartupAnswers {
  session: Session;
  features: Features;
  repos: OrgRepo[];
}
type StartupRequests = { [K in keyof StartupAnswers]?: Promise<StartupAnswers[K]> };
let pending: StartupRequests = {};

/** The socket connected before the first render, and whose login it is. */
let early: { userId: string; client: TaskflowClient } | undefined;

/** Sends the start-up requests and, once they say live, connects a client from `connect`; once, before the first render. */
export function sendStartupRequests(connect: () => TaskflowClient): void {
  pending = {
    session: api<Session>('GET', '/api/auth/session'),
    features: api<{ features: Features }>('GET', '/api/config').then((c) => c.features),
    repos: api<{ repos: OrgRepo[] }>('GET', '/api/repos').then((r) => r.repos),
  };
  // Taken later, or never (logged out): a refusal is not an unhandled rejection.
  for (const p of Object.values(pending)) p.catch(() => undefined);
  // Settles in the same turn as the providers' own handlers, so before React renders (and RealtimeProvider looks).
  Promise.all([pending.session, pending.features]).then(
    ([session, features]) => {
      if (session && features?.websocket) early = { userId: session.user.id, client: connect() };
    },
    () => undefined,
  );
}

/** The client connected at start-up for this login's live client, once; any other one is closed. */
export function takeStartupClient(userId: string): TaskflowClient | undefined {
  const taken = early;
  early = undefined;
  if (taken?.userId === userId) return taken.client;
  taken?.client.close();
  return undefined;
}

/**
 * The start-up answer to `key` the first time (asked again with `ask` if it failed), `ask()` after that: a later login,
 * or a provider mounted again.
 */
export function startupOr<K extends keyof StartupAnswers>(key: K, ask: () => Promise<StartupAnswers[K]>): Promise<StartupAnswers[K]> {
  const p = pending[key];
  delete pending[key];
  return p ? p.catch(ask) : ask();
}
