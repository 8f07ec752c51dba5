import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RunningStack } from '@taskflow/devstack';
import { pullRequestEvent, sendWebhook } from '@taskflow/github-sim';
import { apiClient, login } from '@taskflow/testing';
import { E2E_PASSWORD, startBrowserStack, type BrowserStack } from './support/browser-stack';

/**
 * The operations view in Chromium against the stack as `npm start` runs it: live for the
 * seeded cluster operator (`ops`), the org's parked jobs only for acme's admin (`admin`),
 * absent for everyone else.
 */
jest.setTimeout(180_000);

const PASSWORD = E2E_PASSWORD;
let stack: RunningStack;
let e2e: BrowserStack;
let browser: Browser;
const contexts: BrowserContext[] = [];
const shots = process.env.TASKFLOW_SCREENSHOTS_DIR;

beforeAll(async () => {
  e2e = await startBrowserStack('admin');
  ({ stack, browser } = e2e);
});

afterAll(async () => {
  for (const c of contexts) await c.close();
  await e2e?.stop();
});

async function loggedIn(username: string): Promise<{ page: Page; context: BrowserContext }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(stack.url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  await page.getByTestId('connection-status').getByText('Live').waitFor();
  return { page, context };
}

const number = async (page: Page, testId: string) => Number(await page.getByTestId(testId).textContent());

/** Waits until the page shows `want` in `testId`, without reloading: only the page's own refresh can change it. */
async function shows(page: Page, testId: string, want: number, timeoutMs = 15_000): Promise<void> {
  // A locator, not waitForFunction: the app's CSP (no eval) stops string predicates.
  await page
    .getByTestId(testId)
    .filter({ hasText: new RegExp(`^${want}$`) })
    .waitFor({ timeout: timeoutMs });
}

describe('the operations view', () => {
  it('follows the cluster live for the operator: sockets come and go, ignored webhooks appear, without a reload', async () => {
    const { page: admin } = await loggedIn('ops');
    await admin.getByRole('navigation').getByRole('link', { name: 'Operations' }).click();
    await admin.waitForURL(/\/admin$/);
    await admin.getByRole('heading', { name: 'Operations' }).waitFor();
    await admin.getByTestId('admin-cluster-sockets').waitFor();
    // Marks the document: a reload would lose it.
    await admin.evaluate('window.__sameDocument = true');
    // One node, the admin's own tab connected to it.
    await shows(admin, 'admin-cluster-nodes', 1);
    await shows(admin, 'admin-cluster-sockets', 1);
    expect(await admin.getByTestId('admin-node').count()).toBe(1);
    expect(await admin.getByTestId('admin-queue').count()).toBe(3);

    // Another user opens the app: one more socket, on the page within a few seconds.
    const bob = await loggedIn('bob');
    await shows(admin, 'admin-cluster-sockets', 2);
    expect(await admin.getByTestId('admin-node-sockets').first().textContent()).toBe('2');

    // A pull request from a repository we do not serve: acknowledged, ignored, counted.
    const res = await sendWebhook(
      `${stack.url}/api/webhooks/github`,
      'pull_request',
      pullRequestEvent({ repo: 'mallory/elsewhere', branch: 'taskflow/x', prNumber: 5, action: 'opened' }),
      { secret: stack.webhookSecret },
    );
    expect(res.status).toBe(202);
    await admin.getByTestId('admin-webhooks-ignored').getByRole('row').first().waitFor({ timeout: 15_000 });
    expect(await admin.getByTestId('admin-webhooks-ignored').getByRole('row').first().textContent()).toMatch(/1$/);

    // Bob creates a task: his dashboard gets its rows, and the lag of those deliveries shows up.
    const api = apiClient(stack.url, await login(stack.url, 'bob', PASSWORD));
    expect(
      (await api.post('/api/tasks', { title: 'Add CSV export', description: 'Export the invoice list in src/invoices/list.ts as CSV.' }))
        .status,
    ).toBe(202);
    await admin
      .getByTestId('admin-cluster-lag')
      .filter({ hasText: /^\d+ ms \/ \d+ ms$/ })
      .waitFor({ timeout: 15_000 });

    if (shots) {
      fs.mkdirSync(shots, { recursive: true });
      await admin.screenshot({ path: path.join(shots, 'admin.png'), fullPage: true });
    }

    // Bob leaves: the count goes back down.
    await bob.context.close();
    await shows(admin, 'admin-cluster-sockets', 1);
    expect(await admin.evaluate('window.__sameDocument')).toBe(true);
    expect(await number(admin, 'admin-cluster-nodes')).toBe(1);
  });

  it('is absent for a non-admin: no link, "Page not found" at /admin, and its API answers 404', async () => {
    const { page: alice } = await loggedIn('alice');
    await alice.getByRole('navigation').getByRole('link', { name: 'Stats' }).waitFor();
    expect(await alice.getByRole('navigation').getByRole('link', { name: 'Operations' }).count()).toBe(0);
    await alice.goto(`${stack.url}/admin`);
    await alice.getByRole('heading', { name: 'Page not found' }).waitFor();
    expect(await alice.getByTestId('admin-cluster-sockets').count()).toBe(0);
    // With her session cookie and its CSRF token, as the page itself would ask.
    const answers = (await alice.evaluate(async () => {
      const session = (await (await fetch('/api/auth/session')).json()) as { csrfToken: string };
      const get = await fetch('/api/admin/overview');
      const post = await fetch('/api/admin/jobs/retry', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({ queue: 'github-webhooks' }),
      });
      return [get.status, await get.json(), post.status];
    })) as [number, { error: string }, number];
    expect(answers).toEqual([404, { error: 'NOT_FOUND', message: 'No route for GET /api/admin/overview' }, 404]);
  });

  it("shows acme's admin the org's parked jobs only: no nodes, sockets or queues", async () => {
    const { page } = await loggedIn('admin');
    await page.getByRole('navigation').getByRole('link', { name: 'Operations' }).click();
    await page.waitForURL(/\/admin$/);
    await page.getByTestId('admin-org-scope').waitFor();
    expect(await page.getByTestId('admin-org-parked').textContent()).toBe('0');
    await page.getByText('No parked jobs.').waitFor();
    for (const id of ['admin-cluster-sockets', 'admin-node', 'admin-queue']) expect(await page.getByTestId(id).count()).toBe(0);
  });
});
