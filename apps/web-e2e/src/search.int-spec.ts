import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadStackEnv, startStack, type RunningStack } from '@taskflow/devstack';
import { createDb, createTask, type Db } from '@taskflow/store';
import { apiClient, createTestDatabase, eventually, freePort, login, type TestDatabase } from '@taskflow/testing';
import { launchChromium } from './browser';

/** Search and filters over the whole history, in Chromium against the stack as `npm start` runs it. */
jest.setTimeout(180_000);

const PASSWORD = 'e2e-password';
const FILLERS = 130;
let stack: RunningStack;
let database: TestDatabase;
let db: Db;
let dataDir: string;
let browser: Browser;
let context: BrowserContext;
let needleId: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-e2e-search-'));
  database = await createTestDatabase('e2e_search');
  // Inherited by the stack's server and worker.
  process.env.GITHUB_REPOS = 'acme/payments,acme/web';
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
  db = createDb(database.url, { max: 2 });
  const alice = await db.selectFrom('users').select(['id', 'orgId']).where('username', '=', 'alice').executeTakeFirstOrThrow();
  const base = {
    orgId: alice.orgId,
    creatorId: alice.id,
    isPrivate: false,
    taskTypeHint: 'auto' as const,
    filesHint: [],
    acceptanceCriteria: [],
    priority: 'normal' as const,
    preferredAgent: 'auto' as const,
  };
  // The oldest task carries the words we search for; more than a page of newer tasks bury it.
  needleId = (
    await createTask(db, {
      ...base,
      title: 'Reconcile ledger totals',
      description: 'The zanzibar ledger drifts by a cent each night.',
      repo: 'acme/web',
    })
  ).task.id;
  for (let i = 0; i < FILLERS; i++) {
    await createTask(db, {
      ...base,
      title: `Filler task ${i}`,
      description: 'Routine maintenance work.',
      repo: i % 10 === 0 ? 'acme/web' : 'acme/payments',
    });
  }
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await db?.destroy();
  await stack?.stop();
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function loggedIn(username: string): Promise<Page> {
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(stack.url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('connection-status').getByText('Live').waitFor();
  return page;
}

describe('search and filters in a real browser', () => {
  it('finds a task older than the first page by text and by repository, keeps the filter in the address across a reload, and stays live', async () => {
    const page = await loggedIn('alice');
    await page.locator('[data-task-id]').first().waitFor();
    // Buried: the live dashboard shows only the newest page.
    expect(await page.locator(`[data-task-id="${needleId}"]`).count()).toBe(0);

    await page.getByLabel('Search').fill('zanzibar');
    await page.locator(`[data-task-id="${needleId}"]`).waitFor();
    expect(await page.locator('[data-task-id]').count()).toBe(1);
    await page.waitForURL(/\?q=zanzibar$/);
    expect(await page.getByTestId('count-active').textContent()).toContain('1');

    // Shareable: a reload (or the link in another tab) opens the same filtered view.
    await page.reload();
    await page.locator(`[data-task-id="${needleId}"]`).waitFor();
    expect(await page.getByLabel('Search').inputValue()).toBe('zanzibar');

    // By repository, over the whole history: the needle plus every tenth filler.
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Repository').selectOption('acme/web');
    await page.waitForURL(/\?repo=acme%2Fweb$/);
    await page.locator(`[data-task-id="${needleId}"]`).waitFor();
    const expected = 1 + FILLERS / 10;
    await eventually('every acme/web row', async () => (await page.locator('[data-task-id]').count()) === expected || undefined);
    expect(await page.getByTestId('count-active').textContent()).toContain(String(expected));

    // Live within the filter: a new acme/web task appears, a new acme/payments task does not.
    const api = apiClient(stack.url, await login(stack.url, 'bob', PASSWORD));
    const other = await api.post('/api/tasks', {
      title: 'Payments only',
      description: 'Not in the web repository at all.',
      repo: 'acme/payments',
    });
    const web = await api.post('/api/tasks', { title: 'Web live task', description: 'Arrives while the filter is on.', repo: 'acme/web' });
    expect([other.status, web.status]).toEqual([202, 202]);
    await page.locator(`[data-task-id="${web.body.task.id}"]`).waitFor();
    expect(await page.locator(`[data-task-id="${other.body.task.id}"]`).count()).toBe(0);
    await eventually(
      'the filtered count to include the live task',
      async () => (await page.getByTestId('count-active').textContent())?.includes(String(expected + 1)) || undefined,
    );
  });
});
