import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadStackEnv, startStack, type RunningStack } from '@taskflow/devstack';
import { apiClient, createTestDatabase, freePort, login, type TestDatabase } from '@taskflow/testing';
import { launchChromium } from './browser';

/**
 * Browser sessions in Chromium against the stack as `npm start` runs it, with a 15 s idle
 * time: every tab of the browser shares the login, the session slides while the user works
 * without the socket reconnecting, and a logout in one tab sends the others to the login page.
 */
jest.setTimeout(180_000);

const PASSWORD = 'e2e-password';
const IDLE_SECONDS = 15;
let stack: RunningStack;
let database: TestDatabase;
let dataDir: string;
let browser: Browser;
let context: BrowserContext;
const previousIdle = process.env.SESSION_IDLE_MINUTES;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-e2e-session-'));
  database = await createTestDatabase('e2e');
  // The stack passes the environment on to its server node.
  process.env.SESSION_IDLE_MINUTES = String(IDLE_SECONDS / 60);
  const env = loadStackEnv({
    PORT: String(await freePort()),
    DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    SEED_DEMO: 'true',
    DEMO_PASSWORD: PASSWORD,
    LOG_LEVEL: 'warn',
  });
  stack = await startStack(env, () => undefined);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
});

afterAll(async () => {
  if (previousIdle === undefined) delete process.env.SESSION_IDLE_MINUTES;
  else process.env.SESSION_IDLE_MINUTES = previousIdle;
  await context?.close();
  await browser?.close();
  await stack?.stop();
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Socket.IO connections a page opened (each a WebSocket): a reconnect would open another. */
function countSockets(page: Page): { opened: number; closed: number } {
  const counts = { opened: 0, closed: 0 };
  page.on('websocket', (ws) => {
    if (!ws.url().includes('/socket.io/')) return;
    counts.opened += 1;
    ws.on('close', () => (counts.closed += 1));
  });
  return counts;
}

const sessionOf = (page: Page) =>
  page.evaluate(async () => {
    const res = await fetch('/api/auth/session');
    return { status: res.status, body: (await res.json()) as { expiresAt?: string; idleSeconds?: number } };
  });

// Lets session time pass while the user works: these tests are about the idle deadline itself.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a browser session', () => {
  let first: Page;
  let second: Page;
  let firstSockets: { opened: number; closed: number };
  let secondSockets: { opened: number; closed: number };

  it('is shared by a new tab of the same browser: no second login', async () => {
    first = await context.newPage();
    firstSockets = countSockets(first);
    await first.goto(stack.url);
    await first.getByLabel('Username').fill('alice');
    await first.getByLabel('Password').fill(PASSWORD);
    await first.getByRole('button', { name: 'Log in' }).click();
    await first.getByTestId('connection-status').getByText('Live').waitFor();

    second = await context.newPage();
    secondSockets = countSockets(second);
    await second.goto(stack.url);
    // Straight to the dashboard: the httpOnly cookie answered who this tab is.
    await second.getByRole('button', { name: 'Log out' }).waitFor();
    await second.getByTestId('connection-status').getByText('Live').waitFor();
    expect(await second.getByLabel('Username').count()).toBe(0);
    const { status, body } = await sessionOf(second);
    expect(status).toBe(200);
    expect(body.idleSeconds).toBe(IDLE_SECONDS);
    // Page scripts cannot read the session cookie.
    expect(await second.evaluate('document.cookie')).not.toContain('taskflow_session');
  });

  it('slides while the user works, past twice the idle time, on the same socket, still live', async () => {
    const loggedInAt = Date.now();
    // The user keeps working in the first tab (keys and clicks); no page load, no REST call of ours.
    const until = loggedInAt + 2.2 * IDLE_SECONDS * 1000;
    while (Date.now() < until) {
      await first.mouse.click(5, 300);
      await first.keyboard.press('Shift');
      await sleep(1500);
    }
    // Neither tab lost its socket, and neither reconnected (the server re-armed their deadlines).
    expect(firstSockets).toEqual({ opened: 1, closed: 0 });
    expect(secondSockets).toEqual({ opened: 1, closed: 0 });
    for (const page of [first, second]) {
      // Already live: the deadline only allows for a slow browser on a busy machine.
      await page.getByTestId('connection-status').getByText('Live').waitFor({ timeout: 5000 });
      expect(await page.getByLabel('Username').count()).toBe(0);
    }
    // Still receiving live events: a colleague's new task appears in both tabs.
    const bob = apiClient(stack.url, await login(stack.url, 'bob', PASSWORD));
    const created = await bob.post('/api/tasks', {
      title: 'Slide the session',
      description: 'Keep the socket while the user works in src/session.ts.',
    });
    expect(created.status).toBe(202);
    const taskId = created.body.task.id as string;
    for (const page of [first, second]) await page.locator(`[data-task-id="${taskId}"]`).waitFor({ timeout: 10_000 });
    // The session's deadline moved with the activity: it lies well past login + idle time.
    const { status, body } = await sessionOf(first);
    expect(status).toBe(200);
    expect(Date.parse(body.expiresAt!)).toBeGreaterThan(loggedInAt + 2 * IDLE_SECONDS * 1000);
    expect(firstSockets).toEqual({ opened: 1, closed: 0 });
  });

  it('ends in every tab when one logs out: the other goes to the login page by itself', async () => {
    await second.evaluate('window.__sameDocument = true');
    await first.getByRole('button', { name: 'Log out' }).click();
    await first.getByLabel('Username').waitFor();
    await second.getByLabel('Username').waitFor({ timeout: 10_000 });
    // Without a reload, and the session is gone on the server too.
    expect(await second.evaluate('window.__sameDocument')).toBe(true);
    expect((await sessionOf(second)).status).toBe(401);
  });

  it("signs out everywhere from another browser: this browser's tab goes to the login page, API tokens stop working", async () => {
    // This browser, logged in again; another browser (its own cookies) and an API client, all as alice.
    await first.getByLabel('Username').fill('alice');
    await first.getByLabel('Password').fill(PASSWORD);
    await first.getByRole('button', { name: 'Log in' }).click();
    await first.getByTestId('connection-status').getByText('Live').waitFor();
    await first.evaluate('window.__sameDocument = true');
    const token = await login(stack.url, 'alice', PASSWORD);
    expect((await apiClient(stack.url, token).get('/api/tasks')).status).toBe(200);
    const otherBrowser = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    try {
      const other = await otherBrowser.newPage();
      await other.goto(stack.url);
      // A new browser loads the app cold; on a busy machine that took more than the default 30 s once.
      await other.getByLabel('Username').waitFor({ timeout: 60_000 });
      await other.getByLabel('Username').fill('alice');
      await other.getByLabel('Password').fill(PASSWORD);
      await other.getByRole('button', { name: 'Log in' }).click();
      await other.getByRole('button', { name: 'Sign out everywhere' }).click();
      await other.getByLabel('Username').waitFor();
      // The first browser was told over its socket: the login page, without a reload.
      await first.getByLabel('Username').waitFor({ timeout: 10_000 });
      expect(await first.evaluate('window.__sameDocument')).toBe(true);
      expect((await sessionOf(first)).status).toBe(401);
      const revoked = await apiClient(stack.url, token).get('/api/tasks');
      expect([revoked.status, revoked.body.error]).toEqual([401, 'TOKEN_REVOKED']);
    } finally {
      await otherBrowser.close();
    }
  });
});
