/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { render, renderHook, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { CreateTaskForm } from '../components/create-task-form';
import { AppConfigProvider, useAppConfig, useRepositories } from './app-config';

const wrapper = ({ children }: { children: ReactNode }) => <AppConfigProvider>{children}</AppConfigProvider>;
const requested: string[] = [];

/** The network boundary only: `/api/config` as the server answers it, or refused. */
function serveConfig(answer: { features: object; repos: string[] } | 'refused') {
  requested.length = 0;
  globalThis.fetch = (async (url: string) => {
    requested.push(url);
    if (answer === 'refused') return { ok: false, status: 503, json: async () => ({ error: 'UNAVAILABLE', message: 'down' }) } as Response;
    return { ok: true, status: 200, json: async () => answer } as Response;
  }) as typeof fetch;
}

it('reads /api/config once: the feature flags and the repositories, null until it answered', async () => {
  serveConfig({ features: { websocket: true, dashboard: false, taskDetail: true }, repos: ['acme/payments', 'acme/web'] });
  const { result } = renderHook(() => ({ config: useAppConfig(), repos: useRepositories() }), { wrapper });
  expect(result.current.config).toBeNull();
  expect(result.current.repos).toEqual([]);
  await waitFor(() => expect(result.current.config).not.toBeNull());
  expect(result.current.config!.features).toEqual({ websocket: true, dashboard: false, taskDetail: true });
  expect(result.current.repos).toEqual(['acme/payments', 'acme/web']);
  expect(requested).toEqual(['/api/config']);
});

it('falls back to no live updates and no repositories when /api/config cannot be read', async () => {
  serveConfig('refused');
  const { result } = renderHook(() => ({ config: useAppConfig(), repos: useRepositories() }), { wrapper });
  await waitFor(() => expect(result.current.config).not.toBeNull());
  expect(result.current.config!.features).toEqual({ websocket: false, dashboard: false, taskDetail: false });
  expect(result.current.repos).toEqual([]);
});

it('gives the create form its repositories, the default one selected', async () => {
  serveConfig({ features: { websocket: false, dashboard: false, taskDetail: false }, repos: ['acme/payments', 'acme/web'] });
  render(
    <AppConfigProvider>
      <Loaded />
    </AppConfigProvider>,
  );
  const select = await screen.findByRole<HTMLSelectElement>('combobox', { name: 'Repository' });
  expect([...select.options].map((o) => o.value)).toEqual(['acme/payments', 'acme/web']);
  expect(select.value).toBe('acme/payments');
});

/** The form mounted once the configuration is there (it takes its default repository when it opens). */
function Loaded() {
  return useAppConfig() ? <CreateTaskForm onCreated={() => undefined} onCancel={() => undefined} /> : null;
}
