import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, headless, with nothing that would reach the network by itself; each launch gets a fresh profile. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath))
    throw new Error(`Chromium not found at ${executablePath}: run tests through \`npm test\` (it installs Debian's chromium).`);
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

/**
 * Records in the page when each task row or badge shows a status: the time a
 * user would see it, taken from the browser's own clock (same machine as the server).
 */
export const STATUS_RECORDER = `
  window.__seen = [];
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('[data-task-id][data-status]')) {
      const key = el.getAttribute('data-task-id') + ' ' + el.getAttribute('data-status');
      if (!window.__seen.some((s) => s.key === key)) window.__seen.push({ key, at: Date.now() });
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
`;
