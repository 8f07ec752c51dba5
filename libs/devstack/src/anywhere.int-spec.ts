import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { runTestProcess, spawnTestProcess } from '@taskflow/testing';
import { REPO_ROOT } from './config';
import { isAlive, waitFor } from './net';
import { systemClusterDir } from './postgres-location';

/**
 * `npm run services` from a fresh clone inside a private (0700) temporary
 * directory — where root's home and `mktemp -d` put clones — as root and as an
 * unprivileged user: both services start and answer, and Ctrl-C leaves
 * nothing running.
 */
jest.setTimeout(180_000);

const isRoot = process.getuid?.() === 0;
const TEST_USER = 'taskflow-ci';

interface Clone {
  base: string;
  dir: string;
}

/** Clones the repository into a new 0700 `mktemp -d` directory, with this checkout's installed dependencies (hard links). */
function cloneIntoPrivateDir(): Clone {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-anywhere-'));
  expect(fs.statSync(base).mode & 0o777).toBe(0o700);
  const dir = path.join(base, 'clone');
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', REPO_ROOT, dir]);
  // Hard links rather than a second `npm ci` (no network needed, instant). A copied marker is newer
  // than the clone's lockfile, so the bootstrap sees the dependencies as installed.
  execFileSync('cp', ['-al', path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules')]);
  const marker = path.join(dir, 'node_modules', '.package-lock.json');
  fs.rmSync(marker);
  fs.copyFileSync(path.join(REPO_ROOT, 'node_modules', '.package-lock.json'), marker);
  return { base, dir };
}

function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(text) && Number(pid) !== process.pid) found.push(`${pid} ${cmdline}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

async function runServices(clone: Clone, user?: { uid: number; gid: number }) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: user ? clone.base : process.env.HOME, LOG_LEVEL: 'warn' };
  const services = spawnTestProcess(process.execPath, [path.join(clone.dir, 'infra/local/bootstrap.mjs'), 'services'], {
    name: 'npm run services',
    deadlineMs: 5 * 60_000,
    cwd: clone.dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(user ?? {}),
  });
  const { proc, exited } = services;
  const out = () => services.output();
  const urls = await waitFor(
    'the services to print their URLs',
    async () => {
      if (proc.exitCode !== null) throw new Error(`services exited early:\n${out()}`);
      const db = /^DATABASE_URL=(\S+)$/m.exec(out())?.[1];
      const redis = /^REDIS_URL=(\S+)$/m.exec(out())?.[1];
      return db && redis && out().includes('Press Ctrl-C') ? { db, redis } : undefined;
    },
    150_000,
  ).catch((err: Error) => {
    proc.kill('SIGKILL');
    throw new Error(`${err.message}\n${out()}`);
  });

  const client = new pg.Client({ connectionString: urls.db });
  await client.connect();
  const { rows } = await client.query<{ u: string }>('select current_user as u');
  await client.end();
  expect(rows[0]!.u).toBe('postgres');
  const redis = new Redis(urls.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  expect(await redis.ping()).toBe('PONG');
  redis.disconnect();

  const dataDir = path.join(clone.dir, '.data');
  const pgPid = Number(fs.readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const redisPid = Number(fs.readFileSync(path.join(dataDir, 'redis', 'redis.pid'), 'utf8').trim());
  expect(isAlive(pgPid) && isAlive(redisPid)).toBe(true);
  const owner = (pid: number) => fs.statSync(`/proc/${pid}`).uid;
  return { proc, exited, output: out, pgPid, redisPid, owner, dataDir };
}

async function stopAndCheckNothingLeft(run: Awaited<ReturnType<typeof runServices>>, clone: Clone): Promise<void> {
  run.proc.kill('SIGINT');
  expect(await run.exited).toBe(0);
  await waitFor('every service to exit', async () => (!isAlive(run.pgPid) && !isAlive(run.redisPid)) || undefined, 30_000);
  expect(processesMentioning(clone.dir)).toEqual([]);
}

describe('services from a clone in a private directory', () => {
  let clone: Clone | undefined;
  afterEach(() => {
    if (clone) fs.rmSync(clone.base, { recursive: true, force: true });
    clone = undefined;
  });

  it('start and stop cleanly as root, with the database outside the clone', async () => {
    if (!isRoot) {
      console.log('skipped: not running as root');
      return;
    }
    clone = cloneIntoPrivateDir();
    const run = await runServices(clone);
    // PostgreSQL cannot run as root: it runs as `postgres`, from binaries and data it can reach.
    expect(run.owner(run.pgPid)).toBe(Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })));
    const real = fs.realpathSync(path.join(run.dataDir, 'postgres'));
    expect(real).toBe(path.join(systemClusterDir(path.join(run.dataDir, 'postgres')), 'data'));
    expect(real.startsWith(clone.base)).toBe(false);
    // The clone's own directories keep their permissions.
    expect(fs.statSync(clone.base).mode & 0o777).toBe(0o700);
    await stopAndCheckNothingLeft(run, clone);
    // Deleting `.data` (secrets included) and starting again gives a new, working database.
    fs.rmSync(run.dataDir, { recursive: true, force: true });
    const again = await runServices(clone);
    expect(fs.realpathSync(path.join(again.dataDir, 'postgres'))).toBe(real);
    await stopAndCheckNothingLeft(again, clone);
    fs.rmSync(path.dirname(real), { recursive: true, force: true });
  });

  it('a failure half-way through set-up ends with one readable line and leaves nothing running', async () => {
    clone = cloneIntoPrivateDir();
    // PostgreSQL starts, then Redis cannot: its data directory's place is taken by a file.
    fs.mkdirSync(path.join(clone.dir, '.data'), { recursive: true });
    fs.writeFileSync(path.join(clone.dir, '.data', 'redis'), 'not a directory');
    const { code, stdout, stderr } = await runTestProcess(
      process.execPath,
      [path.join(clone.dir, 'infra/local/bootstrap.mjs'), 'services'],
      {
        name: 'npm run services (failing)',
        deadlineMs: 5 * 60_000,
        cwd: clone.dir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn' },
      },
    );
    expect(code).toBe(1);
    expect(stdout).toContain('embedded PostgreSQL on');
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[stack\] .*(redis|EEXIST|ENOTDIR).* — /);
    expect(stderr).not.toMatch(/^\s+at /m);
    const pgData = fs.realpathSync(path.join(clone.dir, '.data', 'postgres'));
    await waitFor(
      'PostgreSQL to be gone',
      async () => (processesMentioning(pgData).length === 0 && processesMentioning(clone!.dir).length === 0) || undefined,
      20_000,
    );
    if (isRoot) fs.rmSync(path.dirname(pgData), { recursive: true, force: true });
  });

  it('start and stop cleanly as an unprivileged user, everything in the clone', async () => {
    if (!isRoot) {
      console.log('skipped: creating an unprivileged user needs root');
      return;
    }
    if (spawnSync('id', ['-u', TEST_USER]).status !== 0) {
      const made = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', TEST_USER]);
      if (made.status !== 0) {
        console.log(`skipped: this machine does not allow creating a user (${String(made.stderr).trim() || made.error?.message})`);
        return;
      }
    }
    const id = (flag: string) => Number(execFileSync('id', [flag, TEST_USER], { encoding: 'utf8' }).trim());
    const user = { uid: id('-u'), gid: id('-g') };
    clone = cloneIntoPrivateDir();
    // The user owns the clone (not the hard-linked dependencies, which stay root's and world-readable).
    execFileSync('find', [
      clone.base,
      '-path',
      path.join(clone.dir, 'node_modules'),
      '-prune',
      '-o',
      '-exec',
      'chown',
      `${user.uid}:${user.gid}`,
      '{}',
      '+',
    ]);
    const run = await runServices(clone, user);
    expect(run.owner(run.pgPid)).toBe(user.uid);
    expect(run.owner(run.redisPid)).toBe(user.uid);
    expect(fs.lstatSync(path.join(run.dataDir, 'postgres')).isDirectory()).toBe(true);
    await stopAndCheckNothingLeft(run, clone);
  });
});
