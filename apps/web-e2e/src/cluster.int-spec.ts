import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadStackEnv, startStack, type RunningStack } from '@taskflow/devstack';
import { createTestDatabase, eventually, freePort, login, spawnTestProcess, type TestDatabase } from '@taskflow/testing';
import { launchChromium } from './browser';

/**
 * The web app in Chromium through HAProxy in front of two nodes (as `npm run
 * cluster` runs it): one page over WebSocket, one whose WebSocket upgrades are
 * blocked (it must fall back to long-polling), both showing new tasks live —
 * and still without a reload across a rolling restart of every node.
 */
jest.setTimeout(120_000);

const PASSWORD = 'e2e-cluster-password';
let stack: RunningStack;
let database: TestDatabase;
let dataDir: string;
let browser: Browser;
let blockingProxy: { url: string; stop(): Promise<void> } | undefined;
const contexts: BrowserContext[] = [];
const measured: Record<string, unknown> = {};

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-e2e-cluster-'));
  database = await createTestDatabase('e2ecluster');
  // A task every few hundred milliseconds as one user: above the default creation budget.
  process.env.TASK_CREATE_PER_MINUTE = '1000';
  const [port, proxyPort] = [await freePort(), await freePort()];
  // The page behind the WebSocket-refusing proxy comes from another origin: allow it, as an operator would.
  process.env.WEBSOCKET_CORS_ORIGIN = `http://127.0.0.1:${port},http://127.0.0.1:${proxyPort}`;
  const env = loadStackEnv({
    PORT: String(port),
    DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    SEED_DEMO: 'true',
    DEMO_PASSWORD: PASSWORD,
    LOG_LEVEL: 'warn',
  });
  stack = await startStack(env, () => undefined, { nodes: 2, workers: 1, haproxy: true });
  blockingProxy = await startUpgradeRefusingProxy(proxyPort, port);
  browser = await launchChromium();
}, 180_000);

/**
 * A second HAProxy in front of the stack that answers every WebSocket upgrade with 403, as corporate proxies
 * do; plain HTTP (long-polling included) passes through.
 */
async function startUpgradeRefusingProxy(port: number, target: number): Promise<{ url: string; stop(): Promise<void> }> {
  const config = path.join(dataDir, 'upgrade-refusing-proxy.cfg');
  fs.writeFileSync(
    config,
    [
      'defaults',
      '  mode http',
      '  timeout connect 5s',
      '  timeout client 60s',
      '  timeout server 60s',
      'frontend refuse_upgrades',
      `  bind 127.0.0.1:${port}`,
      '  http-request deny deny_status 403 if { hdr(upgrade) -i websocket }',
      '  default_backend stack',
      'backend stack',
      `  server stack 127.0.0.1:${target}`,
      '',
    ].join('\n'),
  );
  const proc = spawnTestProcess('haproxy', ['-db', '-f', config], {
    name: 'upgrade-refusing haproxy',
    deadlineMs: 15 * 60_000,
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    'the upgrade-refusing proxy',
    async () => ((await fetch(`${url}/api/ready`).catch(() => undefined))?.ok ? true : undefined),
    15_000,
  );
  return {
    url,
    stop: async () => {
      await proc.stop('SIGTERM');
    },
  };
}

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await blockingProxy?.stop();
  await stack?.stop();
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  console.log(`browser through a rolling restart: ${JSON.stringify(measured)}`);
});

interface Watched {
  page: Page;
  /** Full page loads after the first (a reload would count here). */
  loads: number;
  websocketsOpened: number;
  pollingRequests: number;
}

async function open(username: string, blockWebSocket: boolean): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  contexts.push(context);
  const page = await context.newPage();
  const w: Watched = { page, loads: -1, websocketsOpened: 0, pollingRequests: 0 };
  page.on('load', () => (w.loads += 1));
  page.on('websocket', (ws) => ws.on('framereceived', () => (w.websocketsOpened = Math.max(w.websocketsOpened, 1))));
  page.on('request', (r) => r.url().includes('transport=polling') && r.url().includes('sid=') && (w.pollingRequests += 1));
  // Through the proxy that refuses WebSocket upgrades, or straight to the stack's HAProxy.
  await page.goto(blockWebSocket ? blockingProxy!.url : stack.url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  await page.getByTestId('connection-status').getByText('Live').waitFor();
  return w;
}

/** Creates a task as alice through HAProxy, retrying what a client may retry (the balancer's 502/503). */
async function createTask(token: string, title: string, retried: { count: number }): Promise<{ id: string; at: number }> {
  // A ceiling for a balancer that never takes the task: far above a node's restart on a busy machine.
  for (const deadline = Date.now() + 60_000; ;) {
    const res = await fetch(`${stack.url}/api/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ title, description: 'Export the invoice list in src/invoices/list.ts as CSV, same columns as the table.' }),
    }).catch(() => undefined);
    if (res?.status === 202) return { id: ((await res.json()) as { task: { id: string } }).task.id, at: Date.now() };
    if (res && res.status !== 502 && res.status !== 503) throw new Error(`create failed: ${res.status} ${await res.text()}`);
    if (Date.now() > deadline) throw new Error(`create still refused after 60 s: ${res?.status ?? 'no answer'}`);
    retried.count += 1;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Records in the page when the row of each task first appeared, by the browser's clock. */
const ROW_RECORDER = `
  window.__rows = {};
  const seen = () => {
    for (const el of document.querySelectorAll('[data-task-id]')) window.__rows[el.getAttribute('data-task-id')] ??= Date.now();
  };
  seen();
  new MutationObserver(seen).observe(document, { subtree: true, childList: true, attributes: true });
`;

describe('the dashboard through HAProxy', () => {
  let ws: Watched;
  let polling: Watched;
  let token: string;

  beforeAll(async () => {
    [ws, polling] = await Promise.all([open('bob', false), open('bob', true)]);
    token = await login(stack.url, 'alice', PASSWORD);
  });

  it('with WebSocket upgrades blocked, falls back to long-polling and shows a new task live', async () => {
    const { id } = await createTask(token, 'Seen over long-polling', { count: 0 });
    await Promise.all([ws, polling].map((w) => w.page.locator(`[data-task-id="${id}"]`).waitFor({ timeout: 5000 })));
    expect(ws.websocketsOpened).toBe(1);
    expect(polling.websocketsOpened).toBe(0);
    // Long-polling carried the session: requests of an established session (with its sid) kept going.
    expect(polling.pollingRequests).toBeGreaterThan(1);
  });

  // Its work grows with the restart's length (a task every ~400 ms meanwhile, then each checked in both pages): it ran
  // past its 120 s at load 13, and took 225 s at load 20 (156 tasks). A ceiling for hangs, over twice that.
  it('keeps showing new tasks without a reload across a rolling restart of every node', async () => {
    await Promise.all([ws, polling].map((w) => w.page.evaluate(ROW_RECORDER)));
    const retried = { count: 0 };
    const created: Array<{ id: string; at: number }> = [];
    const pids = stack.nodes.map((c) => c.process.pid);
    let restarting = true;
    const restart = stack.supervisor.exclusive(() => stack.supervisor.restart()).finally(() => (restarting = false));
    while (restarting) {
      created.push(await createTask(token, `During the restart ${created.length + 1}`, retried));
      // Paces the load: a new task every ~400 ms while the nodes restart.
      await new Promise((r) => setTimeout(r, 400));
    }
    await restart;
    created.push(await createTask(token, 'After the restart', retried));
    expect(stack.nodes.map((c) => c.process.pid).filter((pid) => pids.includes(pid))).toEqual([]);

    for (const w of [ws, polling]) {
      // Live again first (at load 20 its reconnect and re-join, with backoff, took over 10 s), then every task is there.
      await w.page.getByTestId('connection-status').getByText('Live').waitFor({ timeout: 60_000 });
      for (const t of created) await w.page.locator(`[data-task-id="${t.id}"]`).waitFor({ timeout: 10_000 });
      expect(w.loads).toBe(0);
    }
    const delays = async (w: Watched) => {
      const rows = await w.page.evaluate<Record<string, number>>('window.__rows');
      return created.map((t) => rows[t.id]! - t.at);
    };
    const [wsDelays, pollingDelays] = await Promise.all([delays(ws), delays(polling)]);
    measured.tasksCreatedDuringRestart = created.length;
    measured.createRetried = retried.count;
    measured.longestCreateToRowMs = { websocket: Math.max(...wsDelays), polling: Math.max(...pollingDelays) };
    expect(created.length).toBeGreaterThanOrEqual(3);
  }, 480_000);
});
