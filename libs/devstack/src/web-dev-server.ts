import path from 'node:path';
import { startChild, stopChild, type Child } from './child';
import { REPO_ROOT } from './config';
import { waitFor } from './net';

const WEB = path.join(REPO_ROOT, 'apps/web');

export interface WebDevServer {
  url: string;
  child: Child;
  stop(): Promise<void>;
}

/** The browser origins of a dev server on `host:port` (both loopback spellings, which browsers treat as distinct). */
export function webDevOrigins(host: string, port: number): string[] {
  const shown = host === '0.0.0.0' ? 'localhost' : host;
  return [...new Set([`http://${shown}:${port}`, `http://localhost:${port}`, `http://127.0.0.1:${port}`])];
}

/**
 * Vite's dev server for apps/web (hot reload), proxying /api and /socket.io to
 * `apiUrl` (its vite config reads TASKFLOW_API_URL). Its stdin is a pipe this
 * process holds: Vite exits when the pipe ends, so it never outlives the stack.
 */
export async function startWebDevServer(opts: {
  host: string;
  port: number;
  apiUrl: string;
  log(line: string): void;
}): Promise<WebDevServer> {
  const vite = path.join(path.dirname(require.resolve('vite/package.json', { paths: [WEB] })), 'bin/vite.js');
  const child = startChild(
    'vite',
    process.execPath,
    [vite, '--host', opts.host, '--port', String(opts.port), '--strictPort', '--clearScreen', 'false'],
    {
      cwd: WEB,
      env: { ...process.env, TASKFLOW_API_URL: opts.apiUrl },
      stdio: ['pipe', 'inherit', 'inherit'],
    },
  );
  const url = webDevOrigins(opts.host, opts.port)[0]!;
  let stopping = false;
  void child.exited.then((code) => !stopping && opts.log(`vite exited unexpectedly (code ${code}); the API is still on ${opts.apiUrl}`));
  const stop = async () => {
    stopping = true;
    await stopChild(child, 'SIGTERM', 5000);
  };
  try {
    const exitedEarly = child.exited.then((code) => {
      throw new Error(`vite exited (code ${code}) before serving; is port ${opts.port} free? (set WEB_DEV_PORT)`);
    });
    exitedEarly.catch(() => undefined);
    await Promise.race([
      waitFor(
        `Vite on ${url}`,
        async () => (await fetch(`http://127.0.0.1:${opts.port}/`).catch(() => undefined))?.ok || undefined,
        30_000,
      ),
      exitedEarly,
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, child, stop };
}
