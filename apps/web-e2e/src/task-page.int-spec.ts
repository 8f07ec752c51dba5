import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import type { RunningStack } from '@taskflow/devstack';
import { taskBranch } from '@taskflow/events';
import { createBranchEvent, issueCommentEvent, pullRequestEvent, sendWebhook } from '@taskflow/github-sim';
import { apiClient, eventually, login } from '@taskflow/testing';
import { E2E_PASSWORD, startBrowserStack, type BrowserStack } from './support/browser-stack';
import { CHANGE_RECORDER, recordDashboardRows, WINDOW_SCROLL_RECORDER, type Change } from './support/page-recorders';

/**
 * A steady task page and visible change (issue 21 #1, #2, #4), in Debian's Chromium against the stack as
 * `npm start` runs it, driven by signed webhook deliveries: the window never scrolls by itself, only the timeline's
 * own box follows new events; every status change animates (not under reduced motion); a task page is out of the
 * org's dashboard room.
 */
jest.setTimeout(240_000);

const REPO = 'acme/payments';
let stack: RunningStack;
let e2e: BrowserStack;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  e2e = await startBrowserStack('task_page');
  ({ stack, browser } = e2e);
});

afterAll(async () => {
  for (const c of contexts) await c.close();
  await e2e?.stop();
});

async function newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...options });
  contexts.push(context);
  await context.addInitScript(WINDOW_SCROLL_RECORDER);
  await context.addInitScript(CHANGE_RECORDER);
  return context;
}

/** A live tab of `username` at `url`; a second tab of a context shares the first one's login. */
async function tab(context: BrowserContext, username: string, url = stack.url): Promise<{ page: Page; rows: string[] }> {
  const page = await context.newPage();
  const rows = recordDashboardRows(page);
  await page.goto(url);
  const logout = page.getByRole('button', { name: 'Log out' });
  const loginForm = page.getByLabel('Username');
  await logout.or(loginForm).first().waitFor();
  if (await loginForm.isVisible()) {
    await loginForm.fill(username);
    await page.getByLabel('Password').fill(E2E_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
  }
  await logout.waitFor();
  await page.getByTestId('connection-status').getByText('Live').waitFor();
  return { page, rows };
}

const api = async (username: string) => apiClient(stack.url, await login(stack.url, username, E2E_PASSWORD));

const hook = async (event: string, payload: object) => {
  const res = await sendWebhook(`${stack.url}/api/webhooks/github`, event, payload, { secret: stack.webhookSecret });
  expect([200, 202]).toContain(res.status);
};

/** A task created over the API, once the worker has dispatched it. */
async function dispatched(username: string, title: string, isPrivate = false): Promise<string> {
  const client = await api(username);
  const description = 'Export the invoice list in src/invoices/list.ts as CSV with the same columns as the table.';
  const created = await client.post('/api/tasks', { title, description, isPrivate });
  expect(created.status).toBe(202);
  const id = created.body.task.id as string;
  await eventually(
    `task ${id} dispatched`,
    async () => (await client.get(`/api/tasks/${id}`)).body.status === 'dispatched' || undefined,
    60_000,
  );
  return id;
}

const comment = (prNumber: number, body: string) =>
  hook('issue_comment', issueCommentEvent({ repo: REPO, number: prNumber, body, author: 'linus', onPullRequest: true }));

/** The timeline's box: how far it is scrolled, and whether it is at its bottom. */
const timelineBox = (page: Page) =>
  page.getByRole('list', { name: 'Timeline' }).evaluate((el) => ({
    scrollTop: el.scrollTop,
    overflows: el.scrollHeight > el.clientHeight,
    atBottom: el.scrollHeight - el.scrollTop - el.clientHeight <= 8,
  }));
const windowScroll = (page: Page) => page.evaluate<{ now: number; max: number }>('({ now: window.scrollY, max: window.__maxScrollY })');

describe('the task page’s timeline', () => {
  let taskId: string;
  const PR = 51;
  let comments = 0;

  beforeAll(async () => {
    taskId = await dispatched('alice', 'Keep the page still');
    await hook('create', createBranchEvent({ repo: REPO, branch: taskBranch(taskId) }));
    await hook(
      'pull_request',
      pullRequestEvent({ repo: REPO, branch: taskBranch(taskId), prNumber: PR, action: 'opened', title: 'Still' }),
    );
  });

  for (const viewport of [
    { width: 1280, height: 720 },
    { width: 390, height: 844 },
  ]) {
    it(`never scrolls the window at ${viewport.width}×${viewport.height}: the box follows at its bottom, else a pill counts`, async () => {
      const { page } = await tab(await newContext({ viewport }), 'alice', `${stack.url}/tasks/${taskId}`);
      await page.locator('[data-event="pr_opened"]').waitFor();
      // Enough events for the box to scroll (the page itself is taller than the window at both sizes).
      while (!(await timelineBox(page)).overflows) {
        await comment(PR, `Filler ${++comments}`);
        await page.getByText(`Filler ${comments}`, { exact: true }).waitFor();
      }
      expect(await page.evaluate<boolean>('document.documentElement.scrollHeight > window.innerHeight')).toBe(true);
      // Opened at the latest event, in the box only.
      await eventually('the box at its bottom', async () => (await timelineBox(page)).atBottom || undefined, 10_000);

      // At the bottom: a live event scrolls the box to it.
      await comment(PR, `Followed ${++comments}`);
      await page.getByText(`Followed ${comments}`, { exact: true }).waitFor();
      await eventually('the box follows', async () => (await timelineBox(page)).atBottom || undefined, 10_000);
      expect(await windowScroll(page)).toEqual({ now: 0, max: 0 });

      // Scrolled up: the box stays, and a pill counts what arrived below.
      await page.getByRole('list', { name: 'Timeline' }).evaluate((el) => el.scrollTo({ top: 0 }));
      await eventually('scrolled up', async () => (await timelineBox(page)).scrollTop === 0 || undefined, 5000);
      await comment(PR, `Unseen ${++comments}`);
      const pill = page.getByRole('button', { name: '1 new event' });
      await pill.waitFor();
      await comment(PR, `Unseen ${++comments}`);
      await page.getByRole('button', { name: '2 new events' }).waitFor();
      expect((await timelineBox(page)).scrollTop).toBe(0);
      expect(await windowScroll(page)).toEqual({ now: 0, max: 0 });

      await page.getByRole('button', { name: '2 new events' }).click();
      await eventually('the box at its bottom again', async () => (await timelineBox(page)).atBottom || undefined, 10_000);
      await page.getByRole('button', { name: /new event/ }).waitFor({ state: 'detached' });
    });
  }
});

/** Waits until the page recorded a change of `selector`'s data-pulse to a value other than `other`. */
async function nextChange(page: Page, selector: string, since: number): Promise<Change> {
  return eventually(
    `a change of ${selector}`,
    async () => (await page.evaluate<Change[]>('window.__changes')).slice(since).find((c) => c.selector === selector),
    30_000,
  );
}
const changeCount = (page: Page) => page.evaluate<number>('window.__changes.length');

describe('status changes you can see', () => {
  it('animates the row, its badge and the stepper on every status change, and nothing under reduced motion', async () => {
    const taskId = await dispatched('alice', 'Show every change');
    const row = `li[data-task-id="${taskId}"]`;
    const { page: bob } = await tab(await newContext(), 'bob');
    const { page: still } = await tab(await newContext({ reducedMotion: 'reduce' }), 'bob');
    const { page: alice } = await tab(await newContext(), 'alice', `${stack.url}/tasks/${taskId}`);
    for (const page of [bob, still]) await page.locator(`${row}[data-status="dispatched"]`).waitFor();
    await alice.locator('main header [data-status="dispatched"]').waitFor();
    // The same element throughout: a restarted animation, not a row put in again.
    await bob.locator(row).evaluate((el) => Object.assign(el, { __same: true }));
    const marks = await Promise.all([bob, still, alice].map(changeCount));

    await hook('create', createBranchEvent({ repo: REPO, branch: taskBranch(taskId) }));
    const first = await nextChange(bob, 'row', marks[0]!);
    expect(first).toMatchObject({ taskId, status: 'coding', animations: [`row-change-${first.pulse}`] });
    const firstBadge = await nextChange(bob, 'badge', marks[0]!);
    expect(firstBadge.animations).toEqual([`step-change-${firstBadge.pulse}`]);
    const step = await nextChange(alice, 'step', marks[2]!);
    expect(step).toMatchObject({ status: 'Coding', animations: [`step-change-${step.pulse}`] });
    const quiet = await nextChange(still, 'row', marks[1]!);
    expect(quiet).toMatchObject({ status: 'coding', animations: [] });
    expect((await nextChange(still, 'badge', marks[1]!)).animations).toEqual([]);

    // The second change of the same row plays the animation again (today's first-change-only fade did not).
    const marks2 = await Promise.all([bob, still, alice].map(changeCount));
    await hook('pull_request', pullRequestEvent({ repo: REPO, branch: taskBranch(taskId), prNumber: 52, action: 'opened', title: 'Show' }));
    const second = await nextChange(bob, 'row', marks2[0]!);
    expect(second.pulse).not.toBe(first.pulse);
    expect(second).toMatchObject({ taskId, status: 'pr_open', animations: [`row-change-${second.pulse}`] });
    expect(await bob.locator(row).evaluate((el) => (el as unknown as { __same?: boolean }).__same)).toBe(true);
    const secondBadge = await nextChange(bob, 'badge', marks2[0]!);
    expect(secondBadge.animations).toEqual([`step-change-${secondBadge.pulse}`]);
    expect((await nextChange(alice, 'step', marks2[2]!)).animations).toHaveLength(1);
    expect((await nextChange(still, 'row', marks2[1]!)).animations).toEqual([]);
  });
});

describe('a task page and the dashboard room', () => {
  it('receives no dashboard rows of other tasks, shared or private, while a task page is shown, and the dashboard’s again once it is back', async () => {
    const { page: alice, rows } = await tab(await newContext(), 'alice');
    // A dashboard of alice's in a window of its own (a background tab would not paint): it shows when rows are out.
    const { rows: control } = await tab(await newContext(), 'alice');
    const mine = await dispatched('alice', 'The task alice reads');
    await alice.locator(`li[data-task-id="${mine}"][data-status="dispatched"]`).waitFor();
    const received = (list: string[], taskId: string) =>
      eventually(`${taskId} dispatched on the wire`, async () => list.includes(`${taskId} dispatched`) || undefined, 20_000);
    // On the dashboard, a colleague's task arrives on alice's socket.
    await received(rows, await dispatched('bob', 'Shown on the dashboard'));

    await alice.locator(`li[data-task-id="${mine}"] a`).first().click();
    await alice.getByRole('heading', { name: 'The task alice reads' }).waitFor();
    const onTaskPage = rows.length;
    const shared = await dispatched('bob', 'Made while alice reads a task');
    // Her own private task's rows come through a room of hers, which her dashboard joins and a task page leaves too.
    const own = await dispatched('alice', 'A private task alice files meanwhile', true);
    await received(control, shared);
    await received(control, own);
    // alice's task moves on after that row went out: a socket's frames arrive in order, so once the page shows
    // it, a row sent to this socket before it has arrived.
    await hook('create', createBranchEvent({ repo: REPO, branch: taskBranch(mine) }));
    await alice.locator('main header [data-status="coding"]').waitFor();
    expect(rows.slice(onTaskPage).filter((r) => r.startsWith(shared) || r.startsWith(own))).toEqual([]);

    // Back on the dashboard it joins again: rows of other tasks arrive again.
    await alice.getByRole('link', { name: '← All tasks' }).click();
    await alice.locator(`li[data-task-id="${shared}"]`).waitFor();
    await received(rows, await dispatched('bob', 'Shown on the dashboard again'));
  });
});
