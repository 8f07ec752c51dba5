/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, renderHook, waitFor } from '@testing-library/react';
import type { DashboardTask } from '@taskflow/events';
import { startFakeGateway, type FakeGateway } from '../testing/fake-gateway';
import { useFilteredDashboard } from './use-filtered-dashboard';

/**
 * In a busy org a filtered view must not reload faster than the server's per-user list budget
 * (TASK_LIST_PER_MINUTE) allows for a few tabs: each reload is a `GET /api/tasks`.
 */
let gw: FakeGateway;
let lists = 0;
beforeAll(async () => {
  gw = await startFakeGateway();
  // The network boundary only: the hook's own code runs unchanged.
  globalThis.fetch = (async (url: string) => {
    if (url.startsWith('/api/tasks')) lists += 1;
    return { ok: true, status: 200, json: async () => ({ tasks: [], nextCursor: null, counts: {} }) } as Response;
  }) as typeof fetch;
});
afterAll(() => gw.close());

const row = (i: number) =>
  ({
    taskId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    seq: 1,
    status: 'analyzing',
    updatedAt: new Date().toISOString(),
  }) as DashboardTask;

it('reloads a filtered view at most once in 5 s however busy the org', async () => {
  const { unmount } = renderHook(() => useFilteredDashboard({ q: 'csv export' }, true), { wrapper: gw.wrapper });
  await waitFor(() => expect(lists).toBe(1));
  // A row changes every 100 ms for 3 s; free text is decided by the server, so each one asks for a reload.
  for (let i = 0; i < 30; i++) {
    await act(async () => {
      gw.server.emit('dashboard:task_list_updated', row(i));
      await new Promise((r) => setTimeout(r, 100));
    });
  }
  // The first change reloads after 300 ms; the next one would be due 5 s after that.
  expect(lists).toBe(2);
  // The answers it got are rendered before the hook goes.
  await act(async () => undefined);
  unmount();
});
