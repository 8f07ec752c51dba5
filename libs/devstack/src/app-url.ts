import path from 'node:path';
import { REPO_ROOT } from './config';
import { isAlive } from './net';
import { readStackState, stackStateFile } from './stack-state';

/**
 * Where a command-line tool finds the app: APP_URL, else PORT on this machine, else the running local stack
 * (the url in DATA_DIR/stack.json, while its supervisor lives: `npm start`, `npm run cluster`), else port 3000.
 * `from` says which, for messages.
 */
export function localAppUrl(env: NodeJS.ProcessEnv = process.env): { url: string; from: string } {
  if (env.APP_URL) return { url: env.APP_URL.replace(/\/+$/, ''), from: 'APP_URL' };
  if (env.PORT) return { url: `http://127.0.0.1:${env.PORT}`, from: 'PORT' };
  const dataDir = path.resolve(env.DATA_DIR || path.join(REPO_ROOT, '.data'));
  const file = stackStateFile(dataDir);
  const stack = readStackState(dataDir);
  if (stack && isAlive(stack.supervisorPid)) return { url: stack.url.replace(/\/+$/, ''), from: `the running stack's ${file}` };
  // No running local stack: the default port.
  return { url: 'http://127.0.0.1:3000', from: `the default: no running stack in ${path.dirname(file)}` };
}
