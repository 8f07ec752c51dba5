import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './config';

const WEB = path.join(REPO_ROOT, 'apps/web');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs);
  }
  return latest;
}

/** Builds the web app (Vite) when its build is missing or older than its sources, the shared contract or the client. */
export function ensureWebBuilt(log: (line: string) => void): void {
  const index = path.join(WEB, 'dist/index.html');
  const sources = Math.max(
    newest(path.join(WEB, 'src')),
    newest(path.join(REPO_ROOT, 'libs/events/src')),
    // The client library is bundled into the app.
    newest(path.join(REPO_ROOT, 'libs/client/src')),
    fs.statSync(path.join(WEB, 'index.html')).mtimeMs,
    fs.statSync(path.join(WEB, 'vite.config.mts')).mtimeMs,
  );
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= sources) return;
  log('building the web app (vite build)…');
  // Build aside, then swap in: stacks starting side by side never see (or break) a half-written build.
  const staging = path.join(WEB, `.dist-${process.pid}-${Date.now()}`);
  // Vite as the web project resolves it (npm may keep it under apps/web/node_modules).
  const vite = path.join(path.dirname(require.resolve('vite/package.json', { paths: [WEB] })), 'bin/vite.js');
  // Always React's production build: Vite follows NODE_ENV, and Jest sets it to `test`, which made every browser test
  // run the development build (60 % more script, slower, effects run twice).
  const res = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn', '--outDir', staging], {
    cwd: WEB,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (res.status !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new Error('building the web app failed; see the output above');
  }
  const old = `${staging}-old`;
  const attempt = (fn: () => void) => {
    try {
      fn();
    } catch {
      // Another stack swapped its own fresh build in meanwhile: theirs is as good as ours.
    }
  };
  attempt(() => fs.renameSync(path.join(WEB, 'dist'), old));
  attempt(() => fs.renameSync(staging, path.join(WEB, 'dist')));
  fs.rmSync(staging, { recursive: true, force: true });
  fs.rmSync(old, { recursive: true, force: true });
}
