import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RunningStack } from '@taskflow/devstack';
import type { RolloutStateResponse } from '@taskflow/events';
import { apiClient, eventually, login } from '@taskflow/testing';
import { E2E_PASSWORD, startBrowserStack, type BrowserStack } from './support/browser-stack';

/**
 * Rollout controls in Chromium against the stack as `npm start` runs it: an operator takes a user out of live updates
 * through the admin API and the user's open page falls back to polling without a reload (and still shows new tasks);
 * let back in, the same page goes live again.
 */
jest.setTimeout(180_000);

let stack: RunningStack;
let e2e: BrowserStack;
let browser: Browser;
const contexts: BrowserContext[] = [];
const shots = process.env.TASKFLOW_SCREENSHOTS_DIR;

beforeAll(async () => {
  e2e = await startBrowserStack('rollout');
  ({ stack, browser } = e2e);
});

afterAll(async () => {
  for (const c of contexts) await c.close();
  await e2e?.stop();
});

async function loggedIn(username: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(stack.url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(E2E_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  return page;
}

/** The operator's admin API (apiClient has no PUT). */
async function asOperator(method: 'GET' | 'PUT', path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('rolling live updates out and back in', () => {
  it('takes an open page out to polling without a reload, keeps it current, and lets it back in live', async () => {
    const ops = await login(stack.url, 'ops', E2E_PASSWORD);
    const alice = apiClient(stack.url, await login(stack.url, 'alice', E2E_PASSWORD));
    const state = async () => (await asOperator('GET', '/api/admin/rollout', ops)).body as RolloutStateResponse;
    const bobId = (await state()).users.find((u) => u.username === 'bob')!.id;

    const bob = await loggedIn('bob');
    const status = bob.getByTestId('connection-status');
    await status.getByText('Live', { exact: true }).waitFor();
    // Marks the document: a reload would lose it.
    await bob.evaluate('window.__sameDocument = true');

    // Out: the server tells bob's socket, the page switches to polling within seconds.
    const outAt = Date.now();
    expect((await asOperator('PUT', `/api/admin/rollout/users/${bobId}`, ops, { live: 'out' })).status).toBe(200);
    await status.getByText(/Live updates off/).waitFor({ timeout: 5000 });
    const tookOutMs = Date.now() - outAt;

    // A colleague's new task still reaches bob's dashboard, by polling.
    const created = await alice.post('/api/tasks', {
      title: 'Rollout: polled row',
      description: 'Add a CSV export of invoices in src/invoices.',
    });
    expect(created.status).toBe(202);
    await bob.getByText('Rollout: polled row', { exact: true }).waitFor({ timeout: 15_000 });
    // The admin view counts him as polling (his page asks /api/config while it polls).
    const counts = await eventually('bob counted as polling', async () => {
      const c = (await state()).counts;
      return c.polling >= 1 ? c : undefined;
    });
    expect(counts.polling).toBe(1);
    // The same in the operator's admin view: bob polling, the operator's own tab live.
    const admin = await loggedIn('ops');
    await admin.getByRole('navigation').getByRole('link', { name: 'Operations' }).click();
    const panel = admin.getByTestId('rollout-panel');
    // The panel asks every 10 s and the server reuses its live count for 10 s: up to 20 s behind.
    await panel.getByTestId('rollout-polling-count').filter({ hasText: /^1$/ }).waitFor({ timeout: 30_000 });
    await panel.getByTestId('rollout-live-count').filter({ hasText: /^1$/ }).waitFor({ timeout: 30_000 });
    await panel.getByTestId('rollout-user').filter({ hasText: 'bob' }).getByText('Polling (opted out)').waitFor();
    if (shots) {
      fs.mkdirSync(shots, { recursive: true });
      await panel.screenshot({ path: path.join(shots, 'admin-rollout.png') });
    }

    // Back in: the polling page learns it from /api/config and connects, still without a reload.
    const inAt = Date.now();
    expect((await asOperator('PUT', `/api/admin/rollout/users/${bobId}`, ops, { live: 'inherit' })).status).toBe(200);
    await status.getByText('Live', { exact: true }).waitFor({ timeout: 15_000 });
    const letInMs = Date.now() - inAt;
    const live = await alice.post('/api/tasks', {
      title: 'Rollout: live row',
      description: 'Add a PDF export of invoices in src/invoices.',
    });
    expect(live.status).toBe(202);
    // Exact: the live announcer also says "Rollout: live row: Analyzing" once the worker moves it.
    await bob.getByText('Rollout: live row', { exact: true }).waitFor({ timeout: 5000 });
    expect(await bob.evaluate('window.__sameDocument')).toBe(true);
    expect(tookOutMs).toBeLessThan(5000);
    console.log(`rollout in Chromium: taken out → polling shown in ${tookOutMs} ms; let in → live shown in ${letInMs} ms`);
  });
});
