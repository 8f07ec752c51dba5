/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, fireEvent, render, renderHook, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { LIVE_RECHECK_SECONDS, type OrgRepo } from '@taskflow/events';
import { CreateTaskForm } from '../components/create-task-form';
import { AppConfigProvider, useAppConfig, useRepositories } from './app-config';

const wrapper = ({ children }: { children: ReactNode }) => <AppConfigProvider>{children}</AppConfigProvider>;
const requested: string[] = [];

const ACME: OrgRepo[] = [
  { fullName: 'acme/payments', isDefault: true, isPrivate: true },
  { fullName: 'acme/web', isDefault: false, isPrivate: false },
];

/** The network boundary only: `/api/config` and `/api/repos` as the server answers them, or refused. */
function serveConfig(answer: { features: object; repos: OrgRepo[] } | 'refused') {
  requested.length = 0;
  globalThis.fetch = (async (url: string) => {
    requested.push(url);
    if (answer === 'refused') return { ok: false, status: 503, json: async () => ({ error: 'UNAVAILABLE', message: 'down' }) } as Response;
    const body = url === '/api/repos' ? { repos: answer.repos } : { features: answer.features };
    return { ok: true, status: 200, json: async () => body } as Response;
  }) as typeof fetch;
}

it("reads /api/config and the org's /api/repos once: the feature flags and the repositories, null until both answered", async () => {
  serveConfig({ features: { websocket: true, dashboard: false, taskDetail: true }, repos: ACME });
  const { result } = renderHook(() => ({ config: useAppConfig(), repos: useRepositories() }), { wrapper });
  expect(result.current.config).toBeNull();
  expect(result.current.repos).toEqual([]);
  await waitFor(() => expect(result.current.config).not.toBeNull());
  expect(result.current.config!.features).toEqual({ websocket: true, dashboard: false, taskDetail: true });
  expect(result.current.repos).toEqual(['acme/payments', 'acme/web']);
  expect(requested.sort()).toEqual(['/api/config', '/api/repos']);
});

it('falls back to no live updates and no repositories when /api/config cannot be read', async () => {
  serveConfig('refused');
  const { result } = renderHook(() => ({ config: useAppConfig(), repos: useRepositories() }), { wrapper });
  await waitFor(() => expect(result.current.config).not.toBeNull());
  expect(result.current.config!.features).toEqual({ websocket: false, dashboard: false, taskDetail: false });
  expect(result.current.repos).toEqual([]);
});

it("gives the create form only the org's repositories, the default one selected", async () => {
  serveConfig({ features: { websocket: false, dashboard: false, taskDetail: false }, repos: ACME });
  render(
    <AppConfigProvider>
      <Loaded />
    </AppConfigProvider>,
  );
  const select = await screen.findByRole<HTMLSelectElement>('combobox', { name: 'Repository' });
  expect([...select.options].map((o) => o.value)).toEqual(['acme/payments', 'acme/web']);
  expect(select.value).toBe('acme/payments');
});

it("says before submitting that a private task's text goes into the repository's issue, and refuses a public repository", async () => {
  serveConfig({ features: { websocket: false, dashboard: false, taskDetail: false }, repos: ACME });
  render(
    <AppConfigProvider>
      <Loaded />
    </AppConfigProvider>,
  );
  const select = await screen.findByRole<HTMLSelectElement>('combobox', { name: 'Repository' });
  expect(screen.queryByText(/GitHub issue/)).toBeNull();
  const checkbox = screen.getByRole('checkbox', { name: /Private/ });
  fireEvent.click(checkbox);
  // Said next to the box and read with it, before anything is sent.
  const note = document.getElementById(checkbox.getAttribute('aria-describedby') ?? '');
  expect(note?.textContent).toMatch(/go in full into a GitHub issue in acme\/payments, for everyone who can read that repository/);
  const submit = screen.getByRole<HTMLButtonElement>('button', { name: 'Create task' });
  expect(submit.disabled).toBe(false);

  fireEvent.change(select, { target: { value: 'acme/web' } });
  expect(screen.getByRole('alert').textContent).toMatch(/acme\/web is not marked private/);
  expect(submit.disabled).toBe(true);
});

/** The form mounted once the configuration is there (it takes its default repository when it opens). */
function Loaded() {
  return useAppConfig() ? <CreateTaskForm onCreated={() => undefined} onCancel={() => undefined} /> : null;
}

it('while polling, asks /api/config again every few seconds and goes live once the rollout lets the user in; live, it stops asking', async () => {
  jest.useFakeTimers();
  try {
    let websocket = false;
    serveConfig({ features: {}, repos: ACME });
    const served = globalThis.fetch;
    globalThis.fetch = (async (url: string, init?: RequestInit) =>
      url === '/api/config'
        ? (requested.push(url),
          { ok: true, status: 200, json: async () => ({ features: { websocket, dashboard: websocket, taskDetail: websocket } }) })
        : served(url, init)) as typeof fetch;
    const { result } = renderHook(() => useAppConfig(), { wrapper });
    await waitFor(() => expect(result.current).not.toBeNull());
    expect(result.current!.features.websocket).toBe(false);
    const asked = () => requested.filter((u) => u === '/api/config').length;
    // The interval is jittered ±20 %: by 1.2 intervals exactly one recheck went out (the next is 1.6 at the soonest).
    await act(async () => void jest.advanceTimersByTime(LIVE_RECHECK_SECONDS * 1200));
    expect(asked()).toBe(2);
    expect(result.current!.features.websocket).toBe(false);

    // An operator lets the user in: the next recheck says so.
    websocket = true;
    await act(async () => void jest.advanceTimersByTime(LIVE_RECHECK_SECONDS * 1200));
    await waitFor(() => expect(result.current!.features).toEqual({ websocket: true, dashboard: true, taskDetail: true }));
    const once = asked();
    await act(async () => void jest.advanceTimersByTime(LIVE_RECHECK_SECONDS * 4000));
    expect(asked()).toBe(once);
  } finally {
    jest.useRealTimers();
  }
});

it('spreads the rechecks of polling pages: each waits 80–120 % of the interval, not all the same', async () => {
  jest.useFakeTimers();
  const random = jest.spyOn(Math, 'random');
  try {
    serveConfig({ features: { websocket: false, dashboard: false, taskDetail: false }, repos: ACME });
    random.mockReturnValue(0);
    const { result } = renderHook(() => useAppConfig(), { wrapper });
    await waitFor(() => expect(result.current).not.toBeNull());
    const asked = () => requested.filter((u) => u === '/api/config').length;
    // Math.random() 0: the shortest wait, 0.8 of the interval.
    await act(async () => void jest.advanceTimersByTime(LIVE_RECHECK_SECONDS * 800 - 1));
    expect(asked()).toBe(1);
    // Math.random() near 1 for the next wait: the longest, 1.2.
    random.mockReturnValue(0.999999);
    await act(async () => void jest.advanceTimersByTime(1));
    expect(asked()).toBe(2);
    await act(async () => void jest.advanceTimersByTime(LIVE_RECHECK_SECONDS * 1000));
    expect(asked()).toBe(2);
    await act(async () => void jest.advanceTimersByTime(LIVE_RECHECK_SECONDS * 200));
    expect(asked()).toBe(3);
  } finally {
    random.mockRestore();
    jest.useRealTimers();
  }
});
