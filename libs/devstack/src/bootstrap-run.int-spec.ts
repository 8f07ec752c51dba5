import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawnTestProcess } from '@taskflow/testing';
import { REPO_ROOT } from './config';
import { waitFor } from './net';

/**
 * `npm run jobs` (and the other tools) as the first command in a fresh clone: the bootstrap's `run` installs
 * the dependencies, then runs the tool with its arguments, exit code and signals, and keeps stdout the tool's.
 * `npm ci` is played by a stand-in on PATH that hard-links this checkout's node_modules (no network, seconds).
 */
jest.setTimeout(90_000);

let base: string;
let clone: string;
let npmCalls: string;
let scripts: Record<string, string>;

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-run-'));
  clone = path.join(base, 'clone');
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', REPO_ROOT, clone]);
  expect(fs.existsSync(path.join(clone, 'node_modules'))).toBe(false);
  scripts = (JSON.parse(fs.readFileSync(path.join(clone, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  npmCalls = path.join(base, 'npm-calls');
  const bin = path.join(base, 'bin');
  fs.mkdirSync(bin);
  // Says something on stdout, as npm ci does: it must not reach the tool's stdout.
  fs.writeFileSync(
    path.join(bin, 'npm'),
    [
      '#!/bin/sh',
      `echo "$*" >> ${npmCalls}`,
      'echo "added 1234 packages (stand-in npm on stdout)"',
      // Installed already (a stale marker): only the marker is renewed.
      `[ -d node_modules ] || cp -al ${path.join(REPO_ROOT, 'node_modules')} node_modules`,
      'rm node_modules/.package-lock.json',
      `cp ${path.join(REPO_ROOT, 'node_modules', '.package-lock.json')} node_modules/.package-lock.json`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
});

afterAll(() => {
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

/** The script as `npm run <name> -- <args>` runs it: under sh, in the clone, with the stand-in npm first on PATH. */
function runScript(name: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const run = spawnTestProcess('sh', ['-c', `exec ${scripts[name]} "$@"`, 'sh', ...args], {
    name: `npm run ${name}`,
    deadlineMs: 60_000,
    cwd: clone,
    env: { PATH: `${path.join(base, 'bin')}:${process.env.PATH}`, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { proc } = run;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal, stdout: run.stdout(), stderr: run.stderr() })),
  );
  return { proc, exited };
}

const npmCallList = () => (fs.existsSync(npmCalls) ? fs.readFileSync(npmCalls, 'utf8').trim().split('\n') : []);

describe('npm run <tool> in a fresh clone', () => {
  it('installs the dependencies first, saying so on stderr only, then runs the tool with its arguments', async () => {
    const first = await runScript('jobs', ['--help']).exited;
    expect(npmCallList()).toEqual(['ci --no-audit --no-fund']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Usage: npm run jobs -- /);
    expect(first.stdout).not.toContain('stand-in npm');
    expect(first.stderr).toContain('[bootstrap] installing npm dependencies (npm ci)');
    expect(first.stderr).toContain('stand-in npm on stdout');

    // Installed: nothing but the tool's own output, on either stream.
    const again = await runScript('jobs', ['--help']).exited;
    expect(npmCallList()).toHaveLength(1);
    expect(again).toMatchObject({ code: 0, stdout: first.stdout, stderr: '' });
  });

  it('runs Nx the same way (lint, typecheck, build, test:unit)', async () => {
    const run = await runScript('typecheck', ['--help']).exited;
    expect(run.code).toBe(0);
    // Nx prints its help on stderr.
    expect(run.stderr).toContain('nx run-many');
    expect(run.stderr).not.toContain('not found');
  });

  it("passes the tool's exit code on", async () => {
    const bad = await runScript('jobs', ['no-such-command']).exited;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^Unknown command: "no-such-command"/);
    expect(bad.stdout).toBe('');
  });

  it('installs again when package-lock.json is newer than the installed dependencies', async () => {
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(clone, 'package-lock.json'), later, later);
    const run = await runScript('jobs', ['--help']).exited;
    fs.utimesSync(path.join(clone, 'package-lock.json'), new Date(), new Date());
    expect(run.code).toBe(0);
    expect(npmCallList()).toHaveLength(2);
    expect(run.stdout).toMatch(/^Usage: npm run jobs -- /);
  });

  it('passes a signal on to the tool, and ends by it', async () => {
    // A server that accepts the webhook and never answers: the simulator waits on it.
    let accepted = 0;
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => {
      accepted += 1;
      sockets.push(s);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const run = runScript('simulate', ['3f2b8c1e-8d9a-4c6b-9d1e-123456789abc', 'coding'], {
        APP_URL: `http://127.0.0.1:${port}`,
        GITHUB_WEBHOOK_SECRET: 'run-test-secret',
      });
      await waitFor('the simulator to connect', async () => accepted > 0 || undefined, 30_000);
      const toolPids = () =>
        fs
          .readdirSync('/proc')
          .filter((d) => /^\d+$/.test(d) && Number(d) !== run.proc.pid)
          .filter((d) => {
            try {
              return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(path.join(clone, 'libs/github-sim/src/cli.ts'));
            } catch {
              return false;
            }
          });
      expect(toolPids()).toHaveLength(1);
      run.proc.kill('SIGTERM');
      const ended = await run.exited;
      expect(ended).toMatchObject({ code: null, signal: 'SIGTERM', stdout: '' });
      expect(toolPids()).toEqual([]);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
