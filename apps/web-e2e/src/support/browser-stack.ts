import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { loadStackEnv, startStack, type RunningStack } from '@taskflow/devstack';
import { createTestDatabase, freePort, type TestDatabase } from '@taskflow/testing';
import { launchChromium } from '../browser';

/** The demo users' password in the browser tests' stacks. */
export const E2E_PASSWORD = 'e2e-password';

export interface BrowserStack {
  stack: RunningStack;
  browser: Browser;
  database: TestDatabase;
  /** Stops the browser, the stack and its database, and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * The product as `npm start` runs it (one server node, one worker, demo users) on
 * its own database and port, plus Debian's Chromium: what every browser test starts. `port` when the test must
 * know it first (the origins a proxy in front is allowed, WEBSOCKET_CORS_ORIGIN).
 */
export async function startBrowserStack(name: string, options: { port?: number } = {}): Promise<BrowserStack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `taskflow-e2e-${name}-`));
  const database = await createTestDatabase(`e2e_${name.replace(/\W/g, '_')}`);
  const env = loadStackEnv({
    PORT: String(options.port ?? (await freePort())),
    DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    SEED_DEMO: 'true',
    DEMO_PASSWORD: E2E_PASSWORD,
    LOG_LEVEL: 'warn',
  });
  const stack = await startStack(env, () => undefined);
  const browser = await launchChromium();
  return {
    stack,
    browser,
    database,
    async stop() {
      await browser.close();
      await stack.stop();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
