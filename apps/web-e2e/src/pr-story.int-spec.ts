import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RunningStack } from '@taskflow/devstack';
import { taskBranch } from '@taskflow/events';
import {
  checkRunEvent,
  createBranchEvent,
  issueCommentEvent,
  pullRequestEvent,
  pullRequestReviewEvent,
  sendWebhook,
} from '@taskflow/github-sim';
import { apiClient, eventually, login } from '@taskflow/testing';
import { E2E_PASSWORD, startBrowserStack, type BrowserStack } from './support/browser-stack';

/**
 * Notifications and the whole PR story in Debian's Chromium against the stack as
 * `npm start` runs it, driven by signed webhook deliveries from the simulator.
 */
jest.setTimeout(180_000);

const PASSWORD = E2E_PASSWORD;
const REPO = 'acme/payments';
let stack: RunningStack;
let e2e: BrowserStack;
let browser: Browser;
const contexts: BrowserContext[] = [];
const shots = process.env.TASKFLOW_SCREENSHOTS_DIR;

beforeAll(async () => {
  e2e = await startBrowserStack('pr_story');
  ({ stack, browser } = e2e);
});

afterAll(async () => {
  for (const c of contexts) await c.close();
  await e2e?.stop();
});

/** A logged-in tab; tabs of one user share a browser context (one browser, several tabs). */
async function tab(context: BrowserContext, username: string, url = stack.url): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  // The session is the browser's: a second tab of the same context is logged in already.
  const logout = page.getByRole('button', { name: 'Log out' });
  const loginForm = page.getByLabel('Username');
  await logout.or(loginForm).first().waitFor();
  if (await loginForm.isVisible()) {
    await loginForm.fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
  }
  await logout.waitFor();
  await page.getByTestId('connection-status').getByText('Live').waitFor();
  return page;
}
async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  contexts.push(context);
  return context;
}

const hook = async (event: string, payload: object) => {
  const res = await sendWebhook(`${stack.url}/api/webhooks/github`, event, payload, { secret: stack.webhookSecret });
  expect([200, 202]).toContain(res.status);
};

/** A task of alice's, analysed and dispatched by the real worker, with its issue number. */
async function dispatchedTask(title: string): Promise<{ id: string; issue: number; issueUrl: string; branch: string }> {
  const api = apiClient(stack.url, await login(stack.url, 'alice', PASSWORD));
  const created = await api.post('/api/tasks', {
    title,
    description: 'Export the invoice list in src/invoices/list.ts as CSV with the same columns as the table.',
  });
  expect(created.status).toBe(202);
  const id = created.body.task.id as string;
  const task = await eventually(
    `task ${id} dispatched`,
    async () => {
      const t = (await api.get(`/api/tasks/${id}`)).body;
      return t.status === 'dispatched' ? t : undefined;
    },
    30_000,
  );
  return { id, issue: task.githubIssueNumber, issueUrl: task.githubIssueUrl, branch: taskBranch(id) };
}

/** Waits (10 s) for the tab's title to read `title`. */
const titled = (page: Page, title: string) =>
  eventually(`the tab's title to read "${title}"`, async () => ((await page.title()) === title ? true : undefined), 10_000);

const bellCount = (page: Page) => page.getByRole('button', { name: /^Notifications, \d+ unread$/ }).getAttribute('aria-label');

describe('notifications and the PR story in a real browser', () => {
  it('a PR opening on my task shows a toast in my other tab, and the bell’s unread count agrees across both tabs', async () => {
    const task = await dispatchedTask('Notify me about CSV export');
    const alice = await newContext();
    const onTask = await tab(alice, 'alice', `${stack.url}/tasks/${task.id}`);
    const onDashboard = await tab(alice, 'alice');
    await onTask.getByRole('heading', { name: 'Notify me about CSV export' }).waitFor();
    const before = Number((await bellCount(onDashboard))!.match(/(\d+) unread/)![1]);

    await hook('pull_request', pullRequestEvent({ repo: REPO, branch: task.branch, prNumber: 41, action: 'opened', title: 'CSV export' }));
    const toast = onDashboard.getByRole('status').getByRole('link', { name: /Notify me about CSV export.*ready for review/ });
    await toast.waitFor();
    expect(await toast.getAttribute('href')).toBe(`/tasks/${task.id}`);
    for (const page of [onTask, onDashboard]) {
      await page.getByRole('button', { name: `Notifications, ${before + 1} unread` }).waitFor();
      expect(await page.getByTestId('unread-count').textContent()).toBe(String(before + 1));
      // The browser tab's title carries the count, for a tab that is not in front.
      await titled(page, `(${before + 1}) Taskflow Live`);
    }
    if (shots) {
      fs.mkdirSync(shots, { recursive: true });
      await onDashboard.getByRole('button', { name: /^Notifications/ }).click();
      await onDashboard.screenshot({ path: path.join(shots, 'notifications.png') });
    } else {
      await onDashboard.getByRole('button', { name: /^Notifications/ }).click();
    }
    // Read everything in one tab: the other tab's bell follows, live.
    await onDashboard.getByRole('button', { name: 'Mark all read' }).click();
    for (const page of [onDashboard, onTask]) await page.getByRole('button', { name: 'Notifications, 0 unread' }).waitFor();
    expect(await onTask.getByTestId('unread-count').count()).toBe(0);
    for (const page of [onDashboard, onTask]) await titled(page, 'Taskflow Live');
  });

  it('shows draft → ready → approved → CI failing → CI passing → merged live on the card, and a PR comment in the timeline', async () => {
    const task = await dispatchedTask('Walk the PR story');
    const bob = await tab(await newContext(), 'bob');
    const alice = await tab(await newContext(), 'alice', `${stack.url}/tasks/${task.id}`);
    const card = bob.locator(`li[data-task-id="${task.id}"]`);
    await card.waitFor();
    const pr = { repo: REPO, branch: task.branch, prNumber: 42 };

    await hook('create', createBranchEvent({ repo: REPO, branch: task.branch }));
    await hook('pull_request', pullRequestEvent({ ...pr, action: 'opened', draft: true, title: 'Walk the PR story' }));
    await card.locator('[data-pr-state="draft"]', { hasText: 'Draft' }).waitFor();
    expect(await card.getByTestId('row-pr-link').getAttribute('href')).toBe(`https://github.com/${REPO}/pull/42`);
    // Without GITHUB_TOKEN the stack's sandbox numbers issues (on sandbox.taskflow.invalid).
    expect(await card.getByTestId('row-issue-link').getAttribute('href')).toBe(task.issueUrl);

    await hook('pull_request', pullRequestEvent({ ...pr, action: 'ready_for_review' }));
    await card.locator('[data-pr-state="ready"]', { hasText: 'Ready for review' }).waitFor();
    await hook('pull_request_review', pullRequestReviewEvent({ ...pr, state: 'approved', reviewer: 'grace' }));
    await card.locator('[data-review-state="approved"]', { hasText: 'Approved' }).waitFor();
    await hook('check_run', checkRunEvent({ ...pr, conclusion: 'failure', name: 'ci / unit' }));
    await card.locator('[data-checks-state="failing"]', { hasText: 'CI failing' }).waitFor();
    await hook('check_run', checkRunEvent({ ...pr, conclusion: 'success', name: 'ci / unit' }));
    await card.locator('[data-checks-state="passing"]', { hasText: 'CI passing' }).waitFor();
    expect(await card.locator('[data-checks-state="failing"]').count()).toBe(0);
    if (shots) await bob.screenshot({ path: path.join(shots, 'pr-states.png'), fullPage: true });

    // The detail page shows the same story, with the CI badge linking to the check.
    const header = alice.locator('main header').filter({ has: alice.getByRole('heading', { name: 'Walk the PR story' }) });
    await header.getByRole('link', { name: 'CI passing' }).waitFor();
    expect(await header.getByRole('link', { name: 'CI passing' }).getAttribute('href')).toMatch(
      /^https:\/\/github\.com\/acme\/payments\/runs\//,
    );

    await hook(
      'issue_comment',
      issueCommentEvent({ repo: REPO, number: 42, body: 'Looks great, merging after lunch.', author: 'linus', onPullRequest: true }),
    );
    const comment = alice.locator('[data-event="comment_added"]');
    await comment.waitFor();
    expect(await comment.textContent()).toContain('@linus on GitHub');
    expect(await comment.locator('blockquote').textContent()).toBe('Looks great, merging after lunch.');
    expect(await comment.getByRole('link', { name: 'view on GitHub' }).getAttribute('href')).toMatch(
      new RegExp(`^https://github.com/${REPO}/pull/42#issuecomment-`),
    );

    await hook('pull_request', pullRequestEvent({ ...pr, action: 'closed', merged: true }));
    await card.locator('[data-status="merged"]').first().waitFor();
    expect(await card.locator('[data-checks-state]').count()).toBe(0);
    await alice.locator('[data-event="pr_merged"]').waitFor();
  });
});
