import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RunningStack } from '@taskflow/devstack';
import { taskBranch, type WebhookToScreen } from '@taskflow/events';
import { pullRequestEvent, sendWebhook } from '@taskflow/github-sim';
import { apiClient, eventually, login } from '@taskflow/testing';
import { E2E_PASSWORD, startBrowserStack, type BrowserStack } from './support/browser-stack';

/**
 * The specification's numbers where a user feels them, in Chromium against the stack as `npm start` runs it:
 * first connect (page load → first live frame, the specification's target: under 500 ms) cold and warm, and a PR link on a
 * colleague's task page after GitHub's webhook (story 2: within 1 s, BullMQ's hop included). The values are printed
 * for docs/benchmarks.md; the assertions are ceilings for a busy shared machine, not the targets.
 */
jest.setTimeout(180_000);

const REPO = 'acme/payments';
const FIRST_LIVE_FRAME = 'taskflow:first-live-frame';
/**
 * Generous ceilings, far above the targets, so a busy CI machine passes, yet a page that never goes live fails. A cold
 * load parses the whole bundle: 7.5 s was seen at load average 33 on 2 cores.
 */
const CONNECT_CEILING_MS = 30_000;
const WEBHOOK_CEILING_MS = 10_000;
let stack: RunningStack;
let e2e: BrowserStack;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Records in the page when the PR link first appears (`window.__prLinkAt`, the machine's clock). */
const PR_LINK_RECORDER = `
  delete window.__prLinkAt;
  new MutationObserver((_, observer) => {
    if (document.querySelector('[data-testid="pr-link"]')) {
      window.__prLinkAt = Date.now();
      observer.disconnect();
    }
  }).observe(document, { subtree: true, childList: true });
`;
const measured: Record<string, number | number[]> = {};

beforeAll(async () => {
  e2e = await startBrowserStack('spec_numbers');
  ({ stack, browser } = e2e);
});

afterAll(async () => {
  console.log(`specification numbers (ms): ${JSON.stringify(measured)}`);
  for (const c of contexts) await c.close();
  await e2e?.stop();
});

/** A fresh context (empty cache, no cookies) holding `username`'s session cookie, logged in over HTTP, not the page. */
async function loggedInContext(username: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  contexts.push(context);
  const res = await context.request.post(`${stack.url}/api/auth/session`, { data: { username, password: E2E_PASSWORD } });
  expect(res.status()).toBe(200);
  // The API request shares the context's cookie jar: the page loads logged in, with nothing cached.
  expect((await context.cookies(stack.url)).length).toBeGreaterThan(0);
  return context;
}

/** The page's own mark of its first live frame: ms since the page's timeOrigin (navigation start), and which frame. */
async function firstLiveFrame(page: Page): Promise<{ ms: number; event: string }> {
  // A function, not a string: the app's CSP (script-src 'self') refuses eval of a string predicate.
  const mark = await page.waitForFunction(
    (name) => {
      const m = performance.getEntriesByName(name, 'mark')[0];
      return m && { ms: m.startTime, event: (m as unknown as { detail: { event: string } }).detail.event };
    },
    FIRST_LIVE_FRAME,
    { timeout: 60_000 },
  );
  return (await mark.jsonValue()) as { ms: number; event: string };
}

describe('the specification’s numbers in a real browser', () => {
  it('serves the production build, whoever built it (Jest runs with NODE_ENV=test)', async () => {
    const html = await (await fetch(stack.url)).text();
    const scripts = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      const js = await (await fetch(new URL(src, stack.url))).text();
      // React's development JSX runtime is only in a development build (compared as a flag: the bundle is 400 kB).
      expect({ src, development: js.includes('jsxDEV') }).toEqual({ src, development: false });
    }
  });

  it('first connect: page load → first live frame, cold (empty cache) and warm (reload)', async () => {
    const page = await (await loggedInContext('alice')).newPage();
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    const cold = await firstLiveFrame(page);
    await page.getByTestId('connection-status').getByText('Live').waitFor();
    await page.reload();
    const warm = await firstLiveFrame(page);
    await page.getByTestId('connection-status').getByText('Live').waitFor();
    measured['first connect cold'] = Math.round(cold.ms);
    measured['first connect warm'] = Math.round(warm.ms);
    // A server frame over the socket, not the REST bootstrap: the mark comes from the socket's first event.
    expect(cold.event).toMatch(/^(dashboard|notifications|task|session):/);
    expect(warm.event).toMatch(/^(dashboard|notifications|task|session):/);
    for (const v of [cold.ms, warm.ms]) {
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThan(CONNECT_CEILING_MS);
    }
  });

  it('webhook → PR link on a colleague’s task page, through the worker’s queue', async () => {
    const alice = apiClient(stack.url, await login(stack.url, 'alice', E2E_PASSWORD));
    const ids = await Promise.all(
      [1, 2, 3].map(async (n) => {
        const created = await alice.post('/api/tasks', {
          title: `Time the PR link ${n}`,
          description: 'Export the invoice list in src/invoices/list.ts as CSV with the same columns as the table.',
        });
        expect(created.status).toBe(202);
        return created.body.task.id as string;
      }),
    );
    const bob = await (await loggedInContext('bob')).newPage();
    // The page's `task:shown` reports (webhook → screen), as its socket sends them.
    const reports: Array<{ taskId: string; seq: number }> = [];
    bob.on('websocket', (ws) =>
      ws.on('framesent', ({ payload }) => {
        const match = /^42\d*(\[.*\])$/s.exec(typeof payload === 'string' ? payload : payload.toString('utf8'));
        const [event, body] = match ? (JSON.parse(match[1]!) as [string, { taskId: string; seq: number }]) : [];
        if (event === 'task:shown') reports.push(body!);
      }),
    );
    const lags: number[] = [];
    for (const [i, id] of ids.entries()) {
      await eventually(
        `task ${id} dispatched`,
        async () => ((await alice.get(`/api/tasks/${id}`)).body.status === 'dispatched' ? true : undefined),
        60_000,
      );
      await bob.goto(`${stack.url}/tasks/${id}`);
      await bob.getByRole('button', { name: 'Log out' }).waitFor();
      await bob.getByRole('heading', { name: `Time the PR link ${i + 1}` }).waitFor();
      await bob.getByTestId('connection-status').getByText('Live').waitFor();
      await bob.evaluate(PR_LINK_RECORDER);
      expect(await bob.getByTestId('pr-link').count()).toBe(0);
      const sentAt = Date.now();
      const res = await sendWebhook(
        `${stack.url}/api/webhooks/github`,
        'pull_request',
        pullRequestEvent({ repo: REPO, branch: taskBranch(id), prNumber: 70 + i, action: 'opened', title: `PR ${i}` }),
        { secret: stack.webhookSecret },
      );
      expect([200, 202]).toContain(res.status);
      await bob.getByTestId('pr-link').waitFor();
      expect(await bob.getByTestId('pr-link').getAttribute('href')).toBe(`https://github.com/${REPO}/pull/${70 + i}`);
      const shownAt = await bob.evaluate<number | undefined>('window.__prLinkAt');
      lags.push(shownAt! - sentAt);
      // Reported once painted, before the page moves on to the next task.
      await eventually(
        `the page to report task ${id}'s PR on screen`,
        async () => reports.some((r) => r.taskId === id) || undefined,
        10_000,
      );
    }
    // Each PR event once, and nothing else: no other event on these pages was caused by a webhook.
    expect(reports.map((r) => r.taskId)).toEqual(ids);
    measured['webhook to PR link on screen'] = lags;
    // The same deliveries on the operations view's histograms: the browsers' reports that they painted each one
    // (webhook → screen, bob's page reported each of its three PR events once), and the server's part (→ the sockets).
    const ops = apiClient(stack.url, await login(stack.url, 'ops', E2E_PASSWORD));
    const webhooks = await eventually(
      'the webhook → screen histogram to count the deliveries',
      async () => {
        const w = (await ops.get('/api/admin/overview')).body.webhooks as Record<'toScreen' | 'toBroadcast', WebhookToScreen | null>;
        return w.toScreen && w.toScreen.count >= lags.length && w.toBroadcast && w.toBroadcast.count >= lags.length ? w : undefined;
      },
      30_000,
    );
    const toScreen = webhooks.toScreen!;
    const toBroadcast = webhooks.toBroadcast!;
    measured['admin webhook to screen p50'] = toScreen.p50Ms!;
    measured['admin webhook to screen p99'] = toScreen.p99Ms!;
    measured['admin webhook to broadcast p50'] = toBroadcast.p50Ms!;
    measured['admin webhook to broadcast p99'] = toBroadcast.p99Ms!;
    expect(toScreen.count).toBe(lags.length);
    for (const h of [toScreen, toBroadcast]) expect(h.buckets.reduce((n, b) => n + b.count, 0)).toBe(h.count);
    for (const lag of lags) {
      expect(lag).toBeGreaterThan(0);
      expect(lag).toBeLessThan(WEBHOOK_CEILING_MS);
    }
  });
});
