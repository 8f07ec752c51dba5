/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { fireEvent, render, screen } from '@testing-library/react';
import { SESSION } from '../testing/fake-gateway';
import { SessionProvider, useSession } from './session';
import { SignOutButtons } from './sign-out-buttons';

/** The header's sign-out buttons against a recorded fetch: what they ask the server, and what the page does then. */
const calls: Array<{ method: string; path: string; headers: Record<string, string> }> = [];
let answer: { status: number; body: object } = { status: 200, body: { sessionsEnded: 2 } };

beforeEach(() => {
  calls.length = 0;
  answer = { status: 200, body: { sessionsEnded: 2 } };
  globalThis.fetch = (async (path: string, init: RequestInit) => {
    calls.push({ method: String(init.method), path, headers: init.headers as Record<string, string> });
    return { ok: answer.status < 400, status: answer.status, json: async () => answer.body };
  }) as unknown as typeof fetch;
});

function Who() {
  const { session } = useSession();
  return <p>{session ? `signed in as ${session.user.username}` : 'signed out'}</p>;
}

function renderButtons() {
  render(
    <SessionProvider initial={SESSION}>
      <Who />
      <SignOutButtons />
    </SessionProvider>,
  );
}

describe('SignOutButtons', () => {
  it('"Sign out everywhere" asks the server to end every session and token (with the CSRF token), then signs out here', async () => {
    renderButtons();
    expect(screen.getByText('signed in as alice')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Sign out everywhere' }));
    await screen.findByText('signed out');
    expect(calls).toEqual([{ method: 'POST', path: '/api/auth/sign-out-everywhere', headers: { 'x-csrf-token': SESSION.csrfToken } }]);
  });

  it('stays signed in and says why when the server could not do it', async () => {
    answer = { status: 503, body: { error: 'UNAVAILABLE', message: 'The database is unavailable' } };
    renderButtons();
    fireEvent.click(screen.getByRole('button', { name: 'Sign out everywhere' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Could not sign out everywhere: The database is unavailable');
    expect(screen.getByText('signed in as alice')).toBeTruthy();
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Sign out everywhere' }).disabled).toBe(false);
  });

  it('keeps "Log out" for this browser only', async () => {
    renderButtons();
    fireEvent.click(screen.getByRole('button', { name: 'Log out' }));
    await screen.findByText('signed out');
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['DELETE /api/auth/session']);
  });
});
