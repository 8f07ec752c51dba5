import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { spawnTestProcess } from '@taskflow/testing';
import { REPO_ROOT } from './config';
import { freePort, isAlive, waitFor } from './net';
import { readStackState } from './stack-state';

/**
 * `npm run dev` through its real entry point, on a pseudo-terminal (util-linux
 * `script`), as a developer runs it: the page and the API answer through Vite,
 * sockets and cookie writes from Vite's origin are accepted, the apps run under
 * `tsx watch`, logs are pretty on the terminal, and one Ctrl-C (the byte, through
 * the terminal) stops every process it started.
 *
 * Not covered here: an actual restart after a source edit (the test must not edit
 * the repository's sources) and Vite's hot module replacement in a browser.
 */
jest.setTimeout(120_000);

const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');

interface Dev {
  proc: ChildProcess;
  apiPort: number;
  webPort: number;
  dataDir: string;
  output: () => string;
  exited: Promise<number | null>;
}

let dev: Dev | undefined;
let tree: number[] = [];

function parentOf(pid: string): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Every process descended from `root` right now. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const parent = parentOf(pid);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), Number(pid)]);
  }
  const found: number[] = [];
  const visit = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(root);
  return found;
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

beforeAll(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-dev-'));
  const [apiPort, webPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TERM: 'xterm',
    DATA_DIR: dataDir,
    PORT: String(apiPort),
    WEB_DEV_PORT: String(webPort),
    LOG_LEVEL: 'info',
    // A developer's `npm run dev` seeds demo tasks; a test's gets none.
    SEED_DEMO_TASKS: 'false',
  };
  // `script` gives the command a terminal of its own: stdout is a TTY, and a 0x03 written to it is a Ctrl-C.
  // `exec`: the bootstrap itself leads the terminal's session (as a shell would stay there, not die on SIGINT).
  const started = spawnTestProcess(
    'script',
    ['-qefc', `exec ${process.execPath} ${path.join(REPO_ROOT, 'infra/local/bootstrap.mjs')} dev`, '/dev/null'],
    { name: 'npm run dev', deadlineMs: 10 * 60_000, cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const { proc, exited } = started;
  const out = () => started.output();
  dev = { proc, apiPort, webPort, dataDir, output: () => out().replace(ANSI, ''), exited };
  await waitFor(
    'npm run dev to print its URL',
    async () => {
      if (proc.exitCode !== null) throw new Error(`dev exited early:\n${out()}`);
      return dev!.output().includes(`running at http://127.0.0.1:${webPort}`) || undefined;
    },
    90_000,
  ).catch((err: Error) => {
    proc.kill('SIGKILL');
    throw new Error(`${err.message}\n${out()}`);
  });
  tree = descendants(proc.pid!);
});

afterAll(async () => {
  // Only if a test failed before Ctrl-C: nothing may keep running.
  for (const pid of tree.filter(isAlive)) process.kill(pid, 'SIGKILL');
  if (dev) fs.rmSync(dev.dataDir, { recursive: true, force: true });
});

describe('npm run dev', () => {
  it('serves the page from Vite (its dev client, not the build) and the API through its proxy', async () => {
    const web = `http://127.0.0.1:${dev!.webPort}`;
    const page = await fetch(`${web}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/@vite/client');
    expect(html).toContain('id="root"');
    const health = await fetch(`${web}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', checks: { database: 'up', redis: 'up' } });
  });

  it("accepts sockets and cookie writes from Vite's origin, and still refuses other origins", async () => {
    const web = `http://127.0.0.1:${dev!.webPort}`;
    const login = await fetch(`${web}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'taskflow' }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const connect = (origin: string) =>
      new Promise<Socket>((resolve, reject) => {
        const socket = io(web, { transports: ['websocket'], auth: { token }, extraHeaders: { origin }, reconnection: false });
        socket.once('connect', () => resolve(socket));
        socket.once('connect_error', (err) => {
          socket.close();
          reject(err);
        });
      });
    const socket = await connect(web);
    const ack = await socket.timeout(5000).emitWithAck('dashboard:join', {});
    expect(ack).toMatchObject({ ok: true });
    socket.close();
    // Refused at the upgrade (the error names no reason on the websocket transport).
    await expect(connect('http://evil.example')).rejects.toThrow();

    const session = await fetch(`${web}/api/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: web },
      body: JSON.stringify({ username: 'alice', password: 'taskflow' }),
    });
    expect(session.status).toBe(200);
    const cookie = session.headers.get('set-cookie')!.split(';')[0]!;
    const { csrfToken } = (await session.json()) as { csrfToken: string };
    const logout = (origin: string) =>
      fetch(`${web}/api/auth/session`, { method: 'DELETE', headers: { cookie, origin, 'x-csrf-token': csrfToken } });
    expect((await logout('http://evil.example')).status).toBe(403);
    expect((await logout(web)).status).toBe(204);
  });

  it('runs the server and the worker under tsx watch, with pretty logs on the terminal', () => {
    const state = readStackState(dev!.dataDir)!;
    expect(commandLine(state.nodes[0]!.pid!)).toMatch(
      /tsx\/dist\/cli\.mjs watch .*--conditions=taskflow-source .*apps\/server\/src\/main\.ts/,
    );
    expect(commandLine(state.workers[0]!.pid!)).toMatch(/tsx\/dist\/cli\.mjs watch .*apps\/worker\/src\/main\.ts/);
    const out = dev!.output();
    expect(out).toMatch(/INFO \(server\/\d+\): Server listening/);
    expect(out).toMatch(/INFO \(worker\/\d+\): worker ready/);
    expect(out).not.toMatch(/^\{"level":/m);
    // On a terminal, requests (the tests above made some) are debug lines: not shown at LOG_LEVEL=info.
    expect(out).not.toMatch(/incoming request|request completed/);
    // The same output, as JSON lines, in each process's log file.
    const logs = path.join(dev!.dataDir, 'logs');
    expect(fs.readFileSync(path.join(logs, 'server-1.log'), 'utf8')).toMatch(/^\{"level":30,.*"msg":"Server listening/m);
    expect(fs.readFileSync(path.join(logs, 'worker-1.log'), 'utf8')).toMatch(/^\{"level":30,.*"msg":"worker ready/m);
  });

  it('stops everything on one Ctrl-C', async () => {
    const started = tree.map((pid) => commandLine(pid)).join('\n');
    for (const part of ['vite.js', 'cli.mjs watch', 'apps/server/src/main.ts', 'apps/worker/src/main.ts', 'postgres', 'redis-server'])
      expect(started).toContain(part);
    dev!.proc.stdin!.write('\x03');
    expect(await dev!.exited).toBe(0);
    await waitFor('every process of the stack to be gone', async () => tree.every((pid) => !isAlive(pid)) || undefined, 10_000).catch(
      () => {
        throw new Error(`still running:\n${tree.filter(isAlive).map(commandLine).join('\n')}`);
      },
    );
    const out = dev!.output();
    expect(out).toContain('SIGINT: stopping');
    // One signal reached each app (the supervisor's): tsx never had to kill one.
    expect(out).not.toMatch(/Force killing|forcing exit/);
    expect(out).toMatch(/INFO \(server\/\d+\): stopped/);
    await expect(fetch(`http://127.0.0.1:${dev!.webPort}/`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${dev!.apiPort}/api/health`)).rejects.toThrow();
  });
});
