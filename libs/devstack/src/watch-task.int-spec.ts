import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTestProcess, sendJson, startFake } from '@taskflow/testing';
import { REPO_ROOT } from './config';
import { freePort } from './net';

/** `npm run watch-task` finds the running stack through DATA_DIR, and says in one line when it cannot reach it. */
jest.setTimeout(60_000);

const TASK_ID = '3f2b8c1e-8d9a-4c6b-9d1e-123456789abc';

async function watchTask(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base = { ...process.env };
  for (const name of ['APP_URL', 'PORT', 'DATA_DIR', 'WATCH_USER', 'WATCH_PASSWORD']) delete base[name];
  const { code, stdout, stderr } = await runTestProcess('npm', ['run', '-s', 'watch-task', '--', ...args], {
    name: `npm run watch-task -- ${args.join(' ')}`,
    deadlineMs: 60_000,
    cwd: REPO_ROOT,
    env: { ...base, ...env },
  });
  return { code, stdout, stderr };
}

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-watch-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

it('cannot connect: one line naming the URL and where it came from, exit 1', async () => {
  const port = await freePort();
  const run = await watchTask(['dashboard'], { PORT: String(port), DATA_DIR: dataDir });
  expect(run.code).toBe(1);
  expect(run.stderr.trim().split('\n')).toEqual([
    `cannot reach http://127.0.0.1:${port} (PORT): connect ECONNREFUSED 127.0.0.1:${port}. Start the stack (npm start or npm run cluster), or set APP_URL or PORT.`,
  ]);
});

it("logs in at the running stack named by DATA_DIR's stack.json", async () => {
  const server = await startFake((_req, res) => sendJson(res, 401, { error: { code: 'INVALID_CREDENTIALS' } }));
  try {
    fs.writeFileSync(path.join(dataDir, 'stack.json'), JSON.stringify({ url: server.url, supervisorPid: process.pid }));
    const run = await watchTask([TASK_ID], { DATA_DIR: dataDir, WATCH_USER: 'bob' });
    expect(server.requests.map((r) => [r.method, r.path, (r.body as { username?: string }).username])).toEqual([
      ['POST', '/api/auth/login', 'bob'],
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`login as bob at ${server.url} failed: HTTP 401`);
  } finally {
    await server.close();
  }
});
