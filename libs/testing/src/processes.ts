import path from 'node:path';
import { spawnTestProcess, type TestProcess } from './test-process';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

export type AppProcess = TestProcess;

/**
 * Runs an app's TypeScript entry point (e.g. `apps/server/src/main.ts`) as its own process (see
 * spawnTestProcess: its own group, ended with the test that started it or, from `beforeAll`, with the file).
 */
export function spawnApp(entry: string, env: NodeJS.ProcessEnv, opts: { deadlineMs?: number; scope?: 'test' | 'suite' } = {}): AppProcess {
  return spawnTestProcess(process.execPath, ['--conditions=taskflow-source', '--import', 'tsx', path.join(REPO_ROOT, entry)], {
    name: entry,
    // A ceiling for a process that outlives everything meant to stop it, not an expected lifetime.
    deadlineMs: opts.deadlineMs ?? 15 * 60_000,
    scope: opts.scope,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as import('node:net').AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
