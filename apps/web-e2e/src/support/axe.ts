import fs from 'node:fs';
import type { Page } from 'playwright-core';

/** axe-core's browser bundle, read once. */
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Impacts that fail a page; minor and moderate findings are reported but do not. */
const BLOCKING_IMPACTS = ['serious', 'critical'] as const;

export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * Runs axe-core (WCAG 2.0/2.1/2.2 A and AA rules, plus best practices) on the page as it is now.
 * The bundle goes in through page.evaluate — the DevTools protocol, which the page's
 * Content-Security-Policy does not govern — so the app keeps its strict policy under test:
 * addScriptTag({ content }) would be an inline script, which that policy rightly refuses.
 */
export async function axeFindings(page: Page, options: { exclude?: string[] } = {}): Promise<AxeFinding[]> {
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate<AxeFinding[]>(
    `window.axe.run(${options.exclude?.length ? JSON.stringify({ exclude: options.exclude.map((s) => [s]) }) : 'document'}, {
       runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
       resultTypes: ['violations'],
     }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ') + ' — ' + n.failureSummary) })))`,
  );
  return results;
}

/** The serious and critical findings only: what a page must not have. */
export async function blockingAxeFindings(page: Page, options: { exclude?: string[] } = {}): Promise<AxeFinding[]> {
  return (await axeFindings(page, options)).filter((f) => (BLOCKING_IMPACTS as readonly string[]).includes(f.impact ?? ''));
}
