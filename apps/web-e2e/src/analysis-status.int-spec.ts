import type { BrowserContext } from 'playwright-core';
import type { RecordedRequest } from '@taskflow/testing';
import { startFakeOpenAI } from '@taskflow/testing';
import { E2E_PASSWORD, startBrowserStack, type BrowserStack } from './support/browser-stack';
import { createThroughUi } from './support/ui-actions';

/**
 * What the task page says while the analyzer works, in Debian's Chromium, with an OpenAI-compatible model behind the
 * worker's real SDK that takes seconds per answer (as a real one does): "Analyzing the task…" during the first analysis,
 * "Re-analyzing your answers…" only once the author has answered its questions.
 */
jest.setTimeout(180_000);

const API_KEY = 'sk-e2e-analysis';
/** How long the model takes to answer: long enough for the page to show each analysis even on a busy machine. */
const ANALYSIS_MS = 4000;
let e2e: BrowserStack;
let llm: Awaited<ReturnType<typeof startFakeOpenAI>>;
let context: BrowserContext | undefined;

/** The texts the analysis banner showed, in order, `null` while there was none: read in the mutation's callback. */
const ANALYSIS_RECORDER = `
  window.__analysis = [null];
  new MutationObserver(() => {
    const text = document.querySelector('[data-testid="analysis-status"]')?.textContent ?? null;
    if (window.__analysis[window.__analysis.length - 1] !== text) window.__analysis.push(text);
  }).observe(document, { subtree: true, childList: true, characterData: true });
`;

/** Questions on a first analysis, a dispatchable task once the questions were answered. */
function analysis(req: RecordedRequest) {
  const messages = (req.body as { messages: Array<{ content: string }> }).messages;
  const answered = (JSON.parse(messages[1]!.content) as { clarifications?: unknown[] }).clarifications?.length;
  const common = { taskType: 'bug-fix', recommendedAgent: 'codex', likelyFiles: [], suggestedCriteria: [] };
  return answered
    ? { json: { ...common, needsClarification: false, questions: [], summary: 'Fix the Visa checkout' } }
    : { json: { ...common, needsClarification: true, questions: ['Which card networks fail?'], summary: 'Checkout fails' } };
}

beforeAll(async () => {
  llm = await startFakeOpenAI({ apiKey: API_KEY, reply: analysis, delayMs: ANALYSIS_MS });
  // The stack's worker takes its model from the environment it is started with.
  process.env.LLM_API_KEY = API_KEY;
  process.env.LLM_BASE_URL = llm.baseUrl;
  e2e = await startBrowserStack('analysis_status');
}, 180_000);

afterAll(async () => {
  delete process.env.LLM_API_KEY;
  delete process.env.LLM_BASE_URL;
  await context?.close();
  await e2e?.stop();
  await llm?.close();
});

it('says "Analyzing the task…" during the first analysis and "Re-analyzing your answers…" only after answers', async () => {
  const { stack, browser } = e2e;
  context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  await context.addInitScript(ANALYSIS_RECORDER);
  const page = await context.newPage();
  await page.goto(stack.url);
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill(E2E_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('connection-status').getByText('Live').waitFor();

  await createThroughUi(page, 'Checkout fails', 'Card payments fail at checkout since Monday.');

  const form = page.getByRole('form', { name: 'Clarification' });
  await form.waitFor({ timeout: 60_000 });
  await form.locator('textarea').first().fill('Visa only, with 3-D Secure.');
  await form.getByRole('button', { name: 'Send answers' }).click();
  await page.getByTestId('issue-link').waitFor({ timeout: 60_000 });

  const shown = await page.evaluate<Array<string | null>>('window.__analysis');
  const kinds = shown.map((t) =>
    t === null ? null : t.startsWith('Re-analyzing your answers…') ? 're' : t.startsWith('Analyzing the task…') ? 'first' : t,
  );
  // Each analysis took seconds: each was on screen, with its own words, and nothing else was said.
  expect(kinds).toEqual([null, 'first', null, 're', null]);
  expect(llm.calls()).toHaveLength(2);
});
