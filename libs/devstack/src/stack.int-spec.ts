import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnTestProcess } from '@taskflow/testing';
import { REPO_ROOT } from './config';
import { freePort, isAlive, waitFor } from './net';
import { readStackState } from './stack-state';

/**
 * Smoke test of `npm start`'s real entry point: the bootstrap brings up embedded
 * PostgreSQL, a private redis-server, a server node and a worker; SIGTERM stops
 * all of them. Two stacks run side by side without colliding.
 */
jest.setTimeout(180_000);

interface Started {
  proc: ChildProcess;
  port: number;
  dataDir: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function startStack(dataDir: string, extra: NodeJS.ProcessEnv = {}): Promise<Started> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  for (const k of ['DATABASE_URL', 'REDIS_URL', 'SEED_DEMO', 'SEED_DEMO_TASKS', 'JWT_SECRET', 'TRUSTED_PROXIES']) delete env[k];
  Object.assign(env, extra);
  // Own process group (as a terminal would give it), so leftovers can be found by group.
  const started = spawnTestProcess(process.execPath, [path.join(REPO_ROOT, 'infra/local/bootstrap.mjs'), 'start'], {
    name: 'npm start',
    deadlineMs: 10 * 60_000,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { proc, exited } = started;
  const out = () => started.output();
  await waitFor(
    `health on port ${port}`,
    async () => {
      if (proc.exitCode !== null) throw new Error(`stack exited early:\n${out()}`);
      const res = await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => undefined);
      return (res?.status === 200 && out().includes('Press Ctrl-C')) || undefined;
    },
    150_000,
  );
  return { proc, port, dataDir, output: out, exited };
}

function groupMembers(pgid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        // Field 5 (after the parenthesised command) is the process group id.
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function processesMentioning(text: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function describeProcess(pid: number): string {
  try {
    return `${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`;
  } catch {
    return `${pid} (gone)`;
  }
}

async function settle(list: () => number[], ms = 15_000): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (list().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return list();
}

async function stopAndCheck(s: Started): Promise<void> {
  const { pids } = readStackState(s.dataDir)!;
  expect(pids.length).toBe(4); // server, worker, postgres, redis
  s.proc.kill('SIGTERM');
  expect(await s.exited).toBe(0);
  for (const pid of pids) expect({ pid, alive: isAlive(pid) }).toEqual({ pid, alive: false });
  // Helpers such as tsx's esbuild service exit when their parent's pipe closes: allow them a moment.
  const leftovers = await settle(() => [...groupMembers(s.proc.pid!), ...processesMentioning(s.dataDir)]);
  expect(leftovers.map(describeProcess)).toEqual([]);
  expect(fs.existsSync(path.join(s.dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  expect(fs.existsSync(path.join(s.dataDir, 'stack.json'))).toBe(false);
}

/** The tasks alice (org acme) sees. */
async function tasksOf(port: number): Promise<Array<{ status: string }>> {
  const url = `http://127.0.0.1:${port}`;
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'taskflow' }),
  });
  const { token } = (await login.json()) as { token: string };
  const res = await fetch(`${url}/api/tasks?limit=200`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { tasks: Array<{ status: string }> }).tasks;
}

describe('npm start (embedded stack)', () => {
  const dirs: string[] = [];
  const started: Started[] = [];
  const tmp = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-stack-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    // After a failure, leave nothing running: the group, and the services (own groups) listed in stack.json.
    for (const s of started) {
      if (s.proc.exitCode === null) process.kill(-s.proc.pid!, 'SIGKILL');
      for (const pid of readStackState(s.dataDir)?.pids ?? []) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('runs two stacks side by side, stops each with SIGTERM leaving nothing behind, and keeps data across restarts', async () => {
    // A as a user runs it; B as tests start it (no demo tasks).
    const [a, b] = await Promise.all([startStack(tmp()), startStack(tmp(), { SEED_DEMO_TASKS: 'false', LOGIN_MAX_FAILURES: '3' })]);
    started.push(a, b);
    // No proxy in front of `npm start`: a local client's X-Forwarded-For is not believed, so rotating it buys no new
    // login budget (it used to trust loopback's header: each guess had an address of its own).
    const guesses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`http://127.0.0.1:${b.port}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i}` },
        body: JSON.stringify({ username: 'bob', password: 'wrong' }),
      });
      guesses.push(res.status);
    }
    expect(guesses).toEqual([401, 401, 401, 429]);
    expect(a.output()).toContain(`running at http://127.0.0.1:${a.port}`);
    expect(a.output()).toMatch(/seeded demo users: alice, bob, carol, admin, ops/);
    expect(a.output()).toMatch(
      /Demo users: alice, bob, admin \(role admin\), ops \(role operator\) in org acme; carol in org globex; password "taskflow"/,
    );
    // A first login finds tasks in several states; the test stack has none.
    expect(a.output()).toMatch(/seeded demo tasks: \d+ in acme, \d+ in globex/);
    const seeded = await tasksOf(a.port);
    expect(new Set(seeded.map((t) => t.status)).size).toBeGreaterThanOrEqual(6);
    expect(b.output()).not.toMatch(/seeded demo tasks/);
    expect(await tasksOf(b.port)).toEqual([]);

    await stopAndCheck(a);
    // B is untouched by A's shutdown.
    expect((await fetch(`http://127.0.0.1:${b.port}/api/health`)).status).toBe(200);

    // A again on the same data: no re-initialisation, demo users already there.
    const again = await startStack(a.dataDir);
    started.push(again);
    expect(again.output()).not.toMatch(/seeded demo users|seeded demo tasks/);
    expect((await tasksOf(again.port)).length).toBe(seeded.length);
    await stopAndCheck(again);
    await stopAndCheck(b);
  });
});
