import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RunningStack } from '@taskflow/devstack';
import { taskBranch } from '@taskflow/events';
import { checkRunEvent, createBranchEvent, pullRequestEvent, pullRequestReviewEvent, sendWebhook } from '@taskflow/github-sim';
import { apiClient, eventually, login } from '@taskflow/testing';
import { E2E_PASSWORD, startBrowserStack, type BrowserStack } from './support/browser-stack';
import { axeFindings, blockingAxeFindings, type AxeFinding } from './support/axe';
import { MIN_TARGET_PX, undersizedTargets } from './support/target-size';

/**
 * Accessibility in Debian's Chromium against the stack as `npm start` runs it: axe-core on
 * every page and state a user reaches (no serious or critical finding), and the app driven
 * by the keyboard alone, with live changes announced to screen readers.
 */
jest.setTimeout(240_000);

const PASSWORD = E2E_PASSWORD;
const REPO = 'acme/payments';
const GOOD = 'Export the invoice list in src/invoices/list.ts as CSV with the same columns as the table.';
let stack: RunningStack;
let e2e: BrowserStack;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Minor and moderate findings: printed for the record, not failing. */
const advisory: Array<{ page: string; id: string; impact: string | null }> = [];
const checked: string[] = [];

beforeAll(async () => {
  e2e = await startBrowserStack('a11y');
  ({ stack, browser } = e2e);
});

afterAll(async () => {
  for (const c of contexts) await c.close();
  await e2e?.stop();
  console.log(
    `axe-core checked ${checked.length} page states: ${checked.join(', ')}\nminor/moderate findings: ${JSON.stringify(advisory)}`,
  );
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  contexts.push(context);
  return context.newPage();
}

async function logIn(page: Page, username: string, url = stack.url): Promise<Page> {
  await page.goto(url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  await page.getByTestId('connection-status').getByText('Live').waitFor();
  return page;
}

const format = (findings: AxeFinding[]) =>
  findings.map((f) => `[${f.impact}] ${f.id}: ${f.help}\n    ${f.nodes.slice(0, 5).join('\n    ')}`).join('\n');

/**
 * Fails with axe's own description of what is wrong, and where, when a page has a serious or critical finding;
 * and, measured without axe, when a target is under 24×24 px (WCAG 2.2, 2.5.8), which axe may let pass on one
 * machine's fonts and not on another's.
 */
async function expectAccessible(page: Page, name: string): Promise<void> {
  // Let entrance animations (a fresh row fades in) finish: axe reads colours as painted.
  await page.waitForTimeout(700);
  const all = await axeFindings(page);
  for (const f of all) if (f.impact !== 'serious' && f.impact !== 'critical') advisory.push({ page: name, id: f.id, impact: f.impact });
  const blocking = await blockingAxeFindings(page);
  const small = await undersizedTargets(page);
  checked.push(name);
  const failures = [
    ...(blocking.length > 0 ? [`${blocking.length} serious/critical accessibility findings\n${format(blocking)}`] : []),
    ...(small.length > 0
      ? [
          `${small.length} targets under ${MIN_TARGET_PX}×${MIN_TARGET_PX} px\n    ` +
            small.map((t) => `${t.target}: ${t.width}×${t.height} px, ${t.reason}`).join('\n    '),
        ]
      : []),
  ];
  if (failures.length > 0) throw new Error(`${name}: ${failures.join('\n')}`);
}

const hook = async (event: string, payload: object) => {
  const res = await sendWebhook(`${stack.url}/api/webhooks/github`, event, payload, { secret: stack.webhookSecret });
  expect([200, 202]).toContain(res.status);
};

async function aliceApi() {
  return apiClient(stack.url, await login(stack.url, 'alice', PASSWORD));
}

async function taskIn(title: string, description: string, status: string): Promise<string> {
  const api = await aliceApi();
  const created = await api.post('/api/tasks', { title, description, repo: REPO });
  expect(created.status).toBe(202);
  const id = created.body.task.id as string;
  await eventually(
    `${title} ${status}`,
    async () => ((await api.get(`/api/tasks/${id}`)).body.status === status ? true : undefined),
    30_000,
  );
  return id;
}

/** Presses Tab until the focused element's accessible text matches, as a keyboard user would. */
async function tabTo(page: Page, name: RegExp, limit = 80): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (name.test(await focusedName(page))) return;
  }
  throw new Error(`Tab never reached ${name} (last: ${await focusedName(page)})`);
}

/** The focused element's name as a screen reader would start it: aria-label, its label, or its text. (Browser-side code as text: this project has no DOM types.) */
function focusedName(page: Page): Promise<string> {
  return page.evaluate(`(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return '';
    return (el.getAttribute('aria-label') ?? el.labels?.[0]?.textContent ?? el.textContent ?? '').trim();
  })()`);
}

const focusedId = (page: Page) => page.evaluate<string | undefined>('document.activeElement?.id');
const focusInDialog = (page: Page) => page.evaluate<boolean>(`!!document.activeElement?.closest('[role="alertdialog"]')`);

/** Whether the focused element draws a focus indicator (an outline of some width). */
function focusRingWidth(page: Page): Promise<number> {
  return page.evaluate(`(() => {
    const style = getComputedStyle(document.activeElement);
    return style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth);
  })()`);
}

describe('axe-core finds nothing serious on any page', () => {
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ids.clarify = await taskIn('Fix it', 'It is broken.', 'needs_clarification');
    ids.dispatched = await taskIn('Add CSV export', GOOD, 'dispatched');
    ids.reviewing = await taskIn('Walk the PR story', GOOD, 'dispatched');
    ids.merged = await taskIn('Ship the invoice index', GOOD, 'dispatched');
    ids.failed = await taskIn('Speed up invoices', GOOD, 'dispatched');
    const pr = (id: string, prNumber: number) => ({ repo: REPO, branch: taskBranch(id), prNumber });
    await hook('create', createBranchEvent({ repo: REPO, branch: taskBranch(ids.reviewing) }));
    await hook('pull_request', pullRequestEvent({ ...pr(ids.reviewing, 71), action: 'opened', title: 'Walk the PR story' }));
    await hook('pull_request_review', pullRequestReviewEvent({ ...pr(ids.reviewing, 71), state: 'changes_requested', reviewer: 'grace' }));
    await hook('check_run', checkRunEvent({ ...pr(ids.reviewing, 71), conclusion: 'failure', name: 'ci / unit' }));
    await hook('pull_request', pullRequestEvent({ ...pr(ids.merged, 72), action: 'opened', title: 'Ship the invoice index' }));
    await hook('pull_request_review', pullRequestReviewEvent({ ...pr(ids.merged, 72), state: 'approved', reviewer: 'grace' }));
    await hook('check_run', checkRunEvent({ ...pr(ids.merged, 72), conclusion: 'success', name: 'ci / unit' }));
    await hook('pull_request', pullRequestEvent({ ...pr(ids.merged, 72), action: 'closed', merged: true }));
    await hook('pull_request', pullRequestEvent({ ...pr(ids.failed, 73), action: 'opened' }));
    await hook('pull_request', pullRequestEvent({ ...pr(ids.failed, 73), action: 'closed', merged: false }));
    const api = await aliceApi();
    await eventually(
      'merged and failed',
      async () => {
        const [m, f] = await Promise.all([api.get(`/api/tasks/${ids.merged}`), api.get(`/api/tasks/${ids.failed}`)]);
        return m.body.status === 'merged' && f.body.status === 'failed' ? true : undefined;
      },
      30_000,
    );
  });

  it('the login page, also with a wrong password', async () => {
    const page = await newPage();
    await page.goto(stack.url);
    await page.getByLabel('Username').waitFor();
    await expectAccessible(page, 'login');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();
    await expectAccessible(page, 'login with error');
  });

  it('the dashboard with tasks in every section, with filters, the create form and its validation error', async () => {
    const page = await logIn(await newPage(), 'alice');
    await page.locator(`[data-task-id="${ids.reviewing}"] [data-review-state="changes_requested"]`).waitFor();
    await page.locator(`[data-section="completed"] [data-task-id="${ids.merged}"]`).waitFor();
    await page.locator(`[data-section="failed"] [data-task-id="${ids.failed}"]`).waitFor();
    await expectAccessible(page, 'dashboard');

    await page.goto(`${stack.url}/?q=invoice&repo=${encodeURIComponent(REPO)}&status=merged&status=failed&priority=normal`);
    await page.locator(`[data-task-id="${ids.merged}"]`).waitFor();
    await page.locator('.status-filter summary').click();
    // The options open inside the bar and push the lists down: over the rows, they would half-cover their links.
    const optionsOverRows = `(() => {
      const options = document.querySelector('.status-filter fieldset').getBoundingClientRect();
      return [...document.querySelectorAll('[data-section]')].some((list) => list.getBoundingClientRect().top < options.bottom);
    })()`;
    expect(await page.evaluate<boolean>(optionsOverRows)).toBe(false);
    await expectAccessible(page, 'dashboard filtered, status filter open');

    await page.goto(stack.url);
    await page.getByRole('button', { name: 'New task' }).click();
    const form = page.getByRole('form', { name: 'New task' });
    await expectAccessible(page, 'create-task form');
    await form.getByLabel('Title').fill('   ');
    await form.getByLabel('Description').fill('Blank titles are refused by the API.');
    await form.getByRole('button', { name: 'Create task' }).click();
    await form.getByRole('alert').waitFor();
    // The message is tied to the field it is about.
    const describedBy = await form.getByLabel('Title', { exact: true }).getAttribute('aria-describedby');
    expect(describedBy).toBeTruthy();
    expect(await form.getByLabel('Title', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator(`[id="${describedBy}"]`).textContent()).toMatch(/Invalid request body/);
    await expectAccessible(page, 'create-task form with error');
  });

  it('draws its text in its own typeface (Inter, served by the app), not in whatever fonts the machine has', async () => {
    const page = await logIn(await newPage(), 'alice');
    await page.locator(`[data-task-id="${ids.merged}"] .badge`).waitFor();
    // The page's text asks for the font and it loads (font-display: swap: the page does not wait for it).
    const loaded = `[...document.fonts].some((f) => f.family.replace(/["']/g, '') === 'Inter Variable' && f.status === 'loaded')`;
    await page.waitForFunction(loaded, null, { timeout: 10_000 });
    const font = await page.evaluate<{ body: string; ready: boolean; files: string[] }>(`(() => ({
      body: getComputedStyle(document.body).fontFamily,
      ready: document.fonts.check('16px "Inter Variable"'),
      files: performance.getEntriesByType('resource').map((e) => e.name).filter((n) => /\\.woff2$/.test(n)),
    }))()`);
    expect(font.body).toMatch(/^"Inter Variable",/);
    expect(font.ready).toBe(true);
    // Bundled with the app and served by it: nothing fetched from elsewhere.
    expect(font.files.length).toBeGreaterThan(0);
    for (const file of font.files) expect(file.startsWith(`${stack.url}/assets/`)).toBe(true);

    // What Chromium drew the glyphs with (DevTools' own answer): the web font (named Inter inside), no system font as a fallback.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
    const drawn: Array<{ selector: string; fonts: string[] }> = [];
    const texts = ['.topbar .brand', '.nav a', 'button.primary', '.filters label', 'h2', '.task-row .title', '.task-row .meta', '.badge'];
    for (const selector of texts) {
      const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
      expect(nodeId).toBeGreaterThan(0);
      const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
      drawn.push({ selector, fonts: fonts.map((f) => `${f.familyName}${f.isCustomFont ? ' (web font)' : ' (system)'}`) });
    }
    expect(drawn).toEqual(drawn.map(({ selector }) => ({ selector, fonts: ['Inter (web font)'] })));
  });

  it('the task detail page: needs clarification, dispatched, PR under review, merged with PR badges, failed', async () => {
    const page = await logIn(await newPage(), 'alice', `${stack.url}/tasks/${ids.clarify}`);
    await page.getByRole('form', { name: 'Clarification' }).waitFor();
    await expectAccessible(page, 'detail: needs clarification');
    for (const [name, id, ready] of [
      ['dispatched', ids.dispatched, '[data-testid="issue-link"]'],
      ['PR under review', ids.reviewing, 'main header [data-review-state="changes_requested"]'],
      ['merged', ids.merged, 'main header .badge[data-status="merged"]'],
      ['failed (closed, unmerged)', ids.failed, 'main header [data-pr-state="closed"]'],
    ] as const) {
      await page.goto(`${stack.url}/tasks/${id}`);
      await page.locator(ready).first().waitFor();
      await expectAccessible(page, `detail: ${name}`);
    }
  });

  it('the retry and cancel confirmation dialogs', async () => {
    const page = await logIn(await newPage(), 'alice', `${stack.url}/tasks/${ids.failed}`);
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('alertdialog', { name: 'Retry this task?' }).waitFor();
    await expectAccessible(page, 'retry dialog');
    await page.keyboard.press('Escape');
    await page.goto(`${stack.url}/tasks/${ids.clarify}`);
    await page.getByRole('button', { name: 'Cancel task' }).click();
    await page.getByRole('alertdialog', { name: 'Cancel this task?' }).waitFor();
    await expectAccessible(page, 'cancel dialog');
  });

  it('the stats page, and the notification bell open with its preferences and a toast on screen', async () => {
    const page = await logIn(await newPage(), 'alice');
    await page.getByRole('link', { name: 'Stats' }).click();
    await page.getByTestId('stat-total').waitFor();
    await expectAccessible(page, 'stats');

    const id = await taskIn('Notify me', GOOD, 'dispatched');
    // A toast is announced, and leaves focus where the user had it.
    await page.getByRole('link', { name: 'Stats' }).focus();
    await hook('pull_request', pullRequestEvent({ repo: REPO, branch: taskBranch(id), prNumber: 74, action: 'opened' }));
    await page.locator('.toast').first().waitFor();
    expect(
      await page
        .locator('[role="status"][aria-live="polite"]')
        .filter({ has: page.locator('.toast') })
        .count(),
    ).toBe(1);
    expect(await focusedName(page)).toBe('Stats');
    await page.getByRole('button', { name: /^Notifications, [1-9]\d* unread$/ }).click();
    await page.getByRole('region', { name: 'Notifications' }).getByRole('button', { name: 'Preferences' }).click();
    await page.getByRole('checkbox', { name: 'Merged' }).waitFor();
    await expectAccessible(page, 'notification bell open, toast shown');
  });

  it('the admin page as the seeded admin, and what a non-admin gets there', async () => {
    for (const user of ['admin', 'alice']) {
      const page = await logIn(await newPage(), user, `${stack.url}/admin`);
      await page.locator('main').first().waitFor();
      // Whatever the page loads first (figures over the socket) has arrived.
      await page.waitForFunction('!document.querySelector("[aria-busy=true]")');
      await page.waitForTimeout(1500);
      await expectAccessible(page, `/admin as ${user}`);
    }
  });
});

describe('keyboard only, and what a screen reader hears', () => {
  it('skip link, create → detail → back, with visible focus and Escape closing the form', async () => {
    const page = await logIn(await newPage(), 'bob');
    // A fresh load: Tab starts from the top of the document.
    await page.reload();
    await page.getByTestId('connection-status').getByText('Live').waitFor();
    // The first Tab stop is the skip link; Enter lands past the header.
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Skip to content');
    expect(await focusRingWidth(page)).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('Enter');
    expect(await focusedId(page)).toBe('main-content');

    // The header comes before the content in Tab order, the bell opens and Escape closes it back onto the bell.
    await page.keyboard.press('Shift+Tab');
    await tabTo(page, /^Notifications, \d+ unread$/);
    await page.keyboard.press('Enter');
    await page.getByRole('region', { name: 'Notifications' }).waitFor();
    // The list follows its button in Tab order ("Mark all read" is disabled with nothing unread).
    await page.keyboard.press('Tab');
    expect(await page.evaluate(`!!document.activeElement?.closest('#notification-list')`)).toBe(true);
    await page.keyboard.press('Escape');
    expect(await page.getByRole('region', { name: 'Notifications' }).count()).toBe(0);
    expect(await focusedName(page)).toMatch(/^Notifications, \d+ unread$/);

    await tabTo(page, /^New task$/);
    expect(await focusRingWidth(page)).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('Enter');
    // Opening the form puts the cursor in its first field; Escape closes it and returns to the button.
    expect(await focusedName(page)).toBe('Title');
    await page.keyboard.type('Keyboard only');
    await page.keyboard.press('Escape');
    expect(await page.getByRole('form', { name: 'New task' }).count()).toBe(0);
    expect(await focusedName(page)).toBe('New task');

    await page.keyboard.press('Enter');
    expect(await focusedName(page)).toBe('Title');
    await page.keyboard.type('Keyboard only');
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Description');
    await page.keyboard.type(GOOD);
    await tabTo(page, /^Create task$/);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    await page.getByRole('heading', { name: 'Keyboard only' }).waitFor();
    // After navigating, focus is on the new page's content, not lost on the body.
    expect(await focusedId(page)).toBe('main-content');
    await page.locator('main header .badge[data-status="dispatched"]').waitFor();

    await tabTo(page, /^← All tasks$/);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${stack.url}/`);
    await page.getByRole('button', { name: 'New task' }).waitFor();
    expect(await focusedId(page)).toBe('main-content');
  });

  it('the retry dialog keeps focus inside, closes on Escape and gives focus back to Retry', async () => {
    const id = await taskIn('Keyboard retry', GOOD, 'dispatched');
    await hook('pull_request', pullRequestEvent({ repo: REPO, branch: taskBranch(id), prNumber: 81, action: 'opened' }));
    await hook('pull_request', pullRequestEvent({ repo: REPO, branch: taskBranch(id), prNumber: 81, action: 'closed', merged: false }));
    const page = await logIn(await newPage(), 'alice', `${stack.url}/tasks/${id}`);
    await page.locator('main header [data-pr-state="closed"]').waitFor();
    await tabTo(page, /^Retry$/);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('alertdialog', { name: 'Retry this task?' });
    await dialog.waitFor();
    const inDialog = () => focusInDialog(page);
    expect(await focusedName(page)).toBe('Retry');
    expect(await inDialog()).toBe(true);
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press(i % 2 ? 'Shift+Tab' : 'Tab');
      expect(await inDialog()).toBe(true);
    }
    await page.keyboard.press('Escape');
    expect(await dialog.count()).toBe(0);
    expect(await focusedName(page)).toBe('Retry');
    expect(await focusInDialog(page)).toBe(false);
    // Confirming by keyboard does it.
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Enter');
    await page.locator('[data-event="retried"]').waitFor();
  });

  it('announces a live status change politely ("title: PR open"), but not the rows present on load', async () => {
    const id = await taskIn('Fix payment bug', GOOD, 'dispatched');
    const page = await logIn(await newPage(), 'bob');
    await page.locator(`[data-task-id="${id}"][data-status="dispatched"]`).waitFor();
    const region = page.getByTestId('live-announcer');
    expect(await region.getAttribute('aria-live')).toBe('polite');
    expect(await region.getAttribute('role')).toBe('status');
    expect((await region.textContent())?.trim()).toBe('');
    await hook('create', createBranchEvent({ repo: REPO, branch: taskBranch(id) }));
    await hook('pull_request', pullRequestEvent({ repo: REPO, branch: taskBranch(id), prNumber: 91, action: 'opened', draft: true }));
    await region.getByText('Fix payment bug: PR open, Draft').or(region.getByText('Fix payment bug: PR open')).first().waitFor();
    await hook('pull_request', pullRequestEvent({ repo: REPO, branch: taskBranch(id), prNumber: 91, action: 'ready_for_review' }));
    await region.getByText('Fix payment bug: Ready for review').waitFor();
    // Only the task that changed is announced.
    expect(await region.locator('p').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^Fix payment bug: /)]));
    for (const text of await region.locator('p').allTextContents()) expect(text).toMatch(/^Fix payment bug: /);
  });
});
