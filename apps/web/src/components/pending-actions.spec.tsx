/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_TTL_HOURS } from '@taskflow/events';
import { SessionProvider, useSession } from '../auth/session';
import { OfflineActionsSync } from '../offline/offline-actions';
import { memoryActionStore, type ActionStore } from '../offline/offline-action-store';
import { RealtimeContext } from '../realtime/socket';
import { ALICE, SESSION } from '../testing/fake-gateway';
import { PendingActions } from './pending-actions';

const taskId = '3f2b8c1e-8d9a-4c6b-9f1e-2a3b4c5d6e7f';
const HOUR = 3_600_000;

/** The network boundary: every request the page makes, answered with `status`. */
function fakeFetch(status: number) {
  const requests: Array<{ url: string; key?: string }> = [];
  globalThis.fetch = (async (url: string, init?: RequestInit) => {
    requests.push({ url, key: (init?.headers as Record<string, string> | undefined)?.[IDEMPOTENCY_KEY_HEADER] });
    const body = status < 300 ? { task: { id: taskId } } : { error: 'UNAUTHORIZED', message: 'Not signed in' };
    return { ok: status < 300, status, json: async () => body } as Response;
  }) as typeof fetch;
  return requests;
}

function SignedIn() {
  return <p data-testid="who">{useSession().session?.user.id ?? 'signed out'}</p>;
}

function renderOnline(store: ActionStore) {
  render(
    <SessionProvider initial={SESSION}>
      <RealtimeContext.Provider value={{ client: null, status: 'connected', features: null }}>
        <OfflineActionsSync store={store} />
        <SignedIn />
        <PendingActions taskId={taskId} />
      </RealtimeContext.Provider>
    </SessionProvider>,
  );
}

it(`holds an action taken over ${IDEMPOTENCY_KEY_TTL_HOURS} hours ago until the user sends it anyway, with its own key`, async () => {
  const requests = fakeFetch(202);
  const store = memoryActionStore();
  await store.put({ key: 'old-key-0001', userId: ALICE.id, taskId, action: { kind: 'cancel' }, queuedAt: Date.now() - 25 * HOUR });
  renderOnline(store);

  const pending = await screen.findByTestId('pending-actions');
  await waitFor(() => expect(pending.querySelector('[data-expired]')).not.toBeNull());
  expect(screen.getByTestId('pending-badge').textContent).toBe('1 action waiting to be sent: 1 older than 24 hours waits for you');
  expect(requests).toEqual([]);

  fireEvent.click(screen.getByRole('button', { name: 'Send your cancellation anyway' }));
  await screen.findByText('Sent your cancellation.', { exact: false });
  expect(requests).toEqual([{ url: `/api/tasks/${taskId}/cancel`, key: 'old-key-0001' }]);
  expect(await store.all()).toEqual([]);
});

it('keeps an action whose send found the session expired (401), and signs out without showing it as refused', async () => {
  const requests = fakeFetch(401);
  const store = memoryActionStore();
  await store.put({ key: 'kept-key-0001', userId: ALICE.id, taskId, action: { kind: 'cancel' }, queuedAt: Date.now() - HOUR });
  renderOnline(store);

  await waitFor(() => expect(screen.getByTestId('who').textContent).toBe('signed out'));
  expect(requests).toEqual([{ url: `/api/tasks/${taskId}/cancel`, key: 'kept-key-0001' }]);
  expect(screen.queryByRole('alert')).toBeNull();
  expect(await store.all()).toMatchObject([{ key: 'kept-key-0001', userId: ALICE.id }]);
});
