/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["taskflow-source", "node", "require", "default"]}
 */
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { AdminOverview, RolloutStateResponse } from '@taskflow/events';
import { setSession } from '../api/client';
import { AdminPage } from './admin-page';

const lagOf = (p50Ms: number | null, p99Ms: number | null, count = 10) => ({ count, p50Ms, p99Ms });
const node = (nodeId: string, sockets: number) => ({
  nodeId,
  at: new Date().toISOString(),
  startedAt: new Date().toISOString(),
  sockets,
  messagesPerSecond: 1.5,
  errors: { RATE_LIMITED: 2 },
  webhooksIgnored: {},
  lag: lagOf(12, 180),
});
function overview(socketsA: number, parked: AdminOverview['parked']): AdminOverview {
  const nodes = [node('node-a', socketsA), node('node-b', 1)];
  return {
    generatedAt: new Date().toISOString(),
    scope: 'cluster',
    nodes,
    cluster: {
      nodes: 2,
      sockets: socketsA + 1,
      messagesPerSecond: 3,
      lag: lagOf(12, 180, 20),
      errors: { RATE_LIMITED: 4 },
      webhooksIgnored: { fork: 3 },
    },
    queues: {
      'task-analysis': { waiting: 1, active: 0, delayed: 0, prioritized: 0, failed: 0 },
      'task-github': { waiting: 0, active: 1, delayed: 0, prioritized: 0, failed: 0 },
      'github-webhooks': { waiting: 0, active: 0, delayed: 0, prioritized: 0, failed: parked.length },
    },
    webhooks: {
      ignored: { fork: 3 },
      failed: parked.length,
      toScreen: {
        count: 5,
        p50Ms: 180,
        p99Ms: 2400,
        buckets: [
          { leMs: 100, count: 1 },
          { leMs: 250, count: 3 },
          { leMs: 1000, count: 0 },
          { leMs: 2500, count: 1 },
          { leMs: null, count: 0 },
        ],
      },
      toBroadcast: { count: 6, p50Ms: 75, p99Ms: 240, buckets: [] },
    },
    parked,
    parkedTotal: parked.length,
  };
}
const PARKED = {
  queue: 'github-webhooks' as const,
  id: 'd-1',
  name: 'apply-webhook',
  attemptsMade: 12,
  failedReason: 'GitHub said no',
  failedAt: new Date().toISOString(),
};

const ORG = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
function rollout(scope: 'cluster' | 'org', bobOverride: 'in' | 'out' | 'inherit'): RolloutStateResponse {
  return {
    scope,
    enabled: true,
    percent: 10,
    orgs: [{ id: ORG, slug: 'acme', override: 'inherit' }],
    users: [
      {
        id: BOB,
        username: 'bob',
        orgId: ORG,
        override: bobOverride,
        live: bobOverride !== 'out',
        reason: bobOverride === 'out' ? 'user-opt-out' : bobOverride === 'in' ? 'user-opt-in' : 'percentage',
      },
    ],
    counts: { live: 3, polling: 2, pollingWindowSeconds: 15 },
    audit: [],
  };
}

type Call = { method: string; url: string; body: unknown; headers: Record<string, string> };
/** `rolloutAnswer` answers the rollout panel's requests (`/api/admin/rollout…`), `answer` every other. */
function serve(
  answer: (call: Call) => { status: number; body: unknown },
  rolloutAnswer: (call: Call) => { status: number; body: unknown } = () => ({ status: 200, body: rollout('cluster', 'inherit') }),
): Call[] {
  const calls: Call[] = [];
  // The network boundary only: the page's own code runs unchanged.
  globalThis.fetch = (async (url: string, init: RequestInit) => {
    const call = {
      method: init.method ?? 'GET',
      url,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
      headers: (init.headers ?? {}) as Record<string, string>,
    };
    calls.push(call);
    const { status, body } = call.url.startsWith('/api/admin/rollout') ? rolloutAnswer(call) : answer(call);
    return { ok: status < 400, status, json: async () => body } as Response;
  }) as typeof fetch;
  return calls;
}

afterEach(() => setSession(null));

it('shows the cluster and each node, and follows the figures live without a reload', async () => {
  let sockets = 2;
  serve(() => ({ status: 200, body: overview(sockets, []) }));
  render(<AdminPage pollMs={50} />);
  expect(screen.getByText('Loading…').getAttribute('aria-busy')).toBe('true');
  expect((await screen.findByTestId('admin-cluster-sockets')).textContent).toBe('3');
  expect(screen.getByTestId('admin-cluster-lag').textContent).toBe('12 ms / 180 ms');
  expect(screen.getAllByTestId('admin-node').map((r) => within(r).getByRole('rowheader').textContent)).toEqual(['node-a', 'node-b']);
  expect(within(screen.getByTestId('admin-errors')).getByRole('row', { name: 'RATE_LIMITED 4' })).toBeTruthy();
  expect(within(screen.getByTestId('admin-webhooks-ignored')).getByRole('row', { name: 'fork 3' })).toBeTruthy();

  sockets = 7;
  await waitFor(() => expect(screen.getByTestId('admin-cluster-sockets').textContent).toBe('8'));
  expect(screen.getAllByTestId('admin-node-sockets').map((c) => c.textContent)).toEqual(['7', '1']);
});

it('shows the webhook-to-screen histogram: p50 / p99 and each bucket’s deliveries', async () => {
  serve(() => ({ status: 200, body: overview(1, []) }));
  render(<AdminPage pollMs={60_000} />);
  const panel = await screen.findByTestId('admin-webhook-to-screen');
  expect(within(panel).getByRole('heading', { name: 'Webhook to screen' })).toBeTruthy();
  expect(within(panel).getByTestId('admin-webhook-to-screen-p').textContent).toBe('180 ms / 2.4 s');
  expect(panel.textContent).toContain('over 5 deliveries');
  expect(
    within(panel)
      .getAllByTestId('admin-webhook-to-screen-bucket')
      .map((r) => r.textContent),
  ).toEqual(['≤ 100 ms1', '≤ 250 ms3', '≤ 1.0 s0', '≤ 2.5 s1', '> 2.5 s0']);
  // The server's part, beside the browsers' figure.
  expect(within(panel).getByTestId('admin-webhook-to-broadcast-p').textContent).toBe(
    'The server’s part alone (→ the sockets): 75 ms / 240 ms p50 / p99 over 6 deliveries',
  );
});

it('replays a parked job with the CSRF header, says so, and shows the queue emptied', async () => {
  setSession('the-csrf-token');
  let parked = [PARKED];
  const calls = serve((call) => {
    if (call.method === 'POST') {
      parked = [];
      return { status: 200, body: { replayed: [{ queue: PARKED.queue, id: PARKED.id }] } };
    }
    return { status: 200, body: overview(1, parked) };
  });
  render(<AdminPage pollMs={60_000} />);
  const row = await screen.findByTestId('admin-parked-job');
  expect(within(row).getByText('GitHub said no')).toBeTruthy();
  expect(screen.getByTestId('admin-webhooks-failed').textContent).toBe('1');
  await act(async () => fireEvent.click(within(row).getByRole('button', { name: 'Replay job d-1' })));
  expect(calls.filter((c) => c.method === 'POST')).toEqual([
    {
      method: 'POST',
      url: '/api/admin/jobs/retry',
      body: { queue: 'github-webhooks', id: 'd-1' },
      headers: expect.objectContaining({ 'x-csrf-token': 'the-csrf-token' }),
    },
  ]);
  await screen.findByText('1 job replayed from github-webhooks');
  await waitFor(() => expect(screen.queryByTestId('admin-parked-job')).toBeNull());
  expect(screen.getByText('No parked jobs.')).toBeTruthy();
  // Nothing left to replay: the queue's button is off.
  const queueRow = screen.getAllByTestId('admin-queue').find((r) => within(r).getByRole('rowheader').textContent === 'github-webhooks')!;
  expect(within(queueRow).getByRole<HTMLButtonElement>('button').disabled).toBe(true);
});

it("shows an org's admin the org's parked jobs with their replay, and no cluster figures", async () => {
  setSession('the-csrf-token');
  const job = { ...PARKED, queue: 'task-analysis' as const, id: 'analyze-1', name: 'analyze' };
  let parked = [job];
  const calls = serve((call) => {
    if (call.method === 'POST') {
      parked = [];
      return { status: 200, body: { replayed: [{ queue: job.queue, id: job.id }] } };
    }
    const body: AdminOverview = {
      generatedAt: new Date().toISOString(),
      scope: 'org',
      cluster: null,
      nodes: [],
      queues: null,
      webhooks: { ignored: {}, failed: null, toScreen: null, toBroadcast: null },
      parked,
      parkedTotal: parked.length,
    };
    return { status: 200, body };
  });
  render(<AdminPage pollMs={60_000} />);
  const row = await screen.findByTestId('admin-parked-job');
  expect(screen.getByTestId('admin-org-parked').textContent).toBe('1');
  expect(screen.getByTestId('admin-org-scope').textContent).toMatch(/shown to cluster operators/);
  for (const id of ['admin-cluster-sockets', 'admin-node', 'admin-queue', 'admin-errors', 'admin-webhook-to-screen'])
    expect(screen.queryByTestId(id)).toBeNull();
  await act(async () => fireEvent.click(within(row).getByRole('button', { name: 'Replay job analyze-1' })));
  expect(calls.filter((c) => c.method === 'POST').map((c) => c.body)).toEqual([{ queue: 'task-analysis', id: 'analyze-1' }]);
  await screen.findByText('1 job replayed from task-analysis');
  await waitFor(() => expect(screen.getByTestId('admin-org-parked').textContent).toBe('0'));
});

it('shows "Page not found" and no figures when the server answers 404 (not an admin)', async () => {
  serve(() => ({ status: 404, body: { error: 'NOT_FOUND', message: 'No route for GET /api/admin/overview' } }));
  render(<AdminPage pollMs={60_000} />);
  expect(await screen.findByRole('heading', { name: 'Page not found' })).toBeTruthy();
  expect(screen.queryByTestId('admin-cluster-sockets')).toBeNull();
});

describe('the live updates rollout', () => {
  it('shows who is live and polling, and opts a user out with the CSRF header, then shows the change', async () => {
    setSession('csrf-token');
    let bob: 'in' | 'out' | 'inherit' = 'inherit';
    const calls = serve(
      () => ({ status: 200, body: overview(1, []) }),
      (call) => {
        if (call.method === 'PUT') {
          bob = (call.body as { live: typeof bob }).live;
          return { status: 200, body: { changes: [{ setting: 'user', orgId: ORG, subjectId: BOB, oldValue: 'inherit', newValue: bob }] } };
        }
        return { status: 200, body: rollout('cluster', bob) };
      },
    );
    render(<AdminPage pollMs={60_000} />);
    const panel = await screen.findByTestId('rollout-panel');
    expect(within(panel).getByTestId('rollout-live-count').textContent).toBe('3');
    expect(within(panel).getByTestId('rollout-polling-count').textContent).toBe('2');
    expect(within(panel).getByTestId('rollout-percent').textContent).toBe('10 %');
    fireEvent.change(within(panel).getByRole('combobox', { name: 'Live updates for bob' }), { target: { value: 'out' } });
    await waitFor(() => expect(within(panel).getByTestId('rollout-notice').textContent).toBe('bob: inherit → out'));
    await waitFor(() => expect(within(panel).getByTestId('rollout-user-now').textContent).toBe('Polling (opted out)'));
    expect(calls.filter((c) => c.method === 'PUT')).toEqual([
      expect.objectContaining({
        url: `/api/admin/rollout/users/${BOB}`,
        body: { live: 'out' },
        headers: expect.objectContaining({ 'x-csrf-token': 'csrf-token' }),
      }),
    ]);
  });

  it("says why a change was refused, and gives an org's admin no control of the percentage", async () => {
    serve(
      () => ({ status: 200, body: { ...overview(1, []), scope: 'org', cluster: null, nodes: [], queues: null } }),
      (call) =>
        call.method === 'PUT'
          ? { status: 404, body: { error: 'NOT_FOUND', message: 'No such org' } }
          : { status: 200, body: rollout('org', 'inherit') },
    );
    render(<AdminPage pollMs={60_000} />);
    const panel = await screen.findByTestId('rollout-panel');
    expect(within(panel).queryByRole('button', { name: '50 %' })).toBeNull();
    expect(within(panel).getByRole<HTMLInputElement>('checkbox', { name: 'Live updates on' }).disabled).toBe(true);
    fireEvent.change(within(panel).getByRole('combobox', { name: 'Live updates for acme' }), { target: { value: 'off' } });
    await waitFor(() => expect(within(panel).getByTestId('rollout-notice').textContent).toBe('acme not changed: No such org'));
  });
});
