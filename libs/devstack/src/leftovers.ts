import fs from 'node:fs';
import path from 'node:path';

/**
 * The check at the end of `npm test`: a process still running under the clone (its working
 * directory, its executable or an argument inside it) that started after the run did is one a
 * test or a tool forgot. Each is named, killed with its process group, and the run fails —
 * killing it silently would hide the test that leaks it. Linux (/proc).
 */
export interface Leftover {
  pid: number;
  command: string;
  cwd: string;
}

interface Stat {
  ppid: number;
  pgid: number;
  state: string;
  start: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, ppid: Number(f[1]), pgid: Number(f[2]), start: Number(f[19]) };
  } catch {
    return undefined;
  }
}

const read = (fn: () => string): string => {
  try {
    return fn();
  } catch {
    return '';
  }
};

/** This process and the ones it runs under (npm, the bootstrap…): never leftovers, never killed. */
function ancestors(): Set<number> {
  const found = new Set<number>();
  for (let pid = process.pid; pid > 1 && !found.has(pid); pid = stat(pid)?.ppid ?? 0) found.add(pid);
  return found;
}

/**
 * Processes running under `root` that started after process `since` did (defaults to this one). This
 * process's own descendants are not counted: they end with it (tsx's esbuild service, for one). A test's
 * process that outlived it is never among them: its parents (Jest, Nx) have exited, so it was re-parented.
 */
export function findLeftovers(root: string, since: number = process.pid): Leftover[] {
  const inside = (p: string) => p === root || p.startsWith(root + path.sep);
  const mine = ancestors();
  const after = stat(since)?.start ?? 0;
  const stats = new Map<number, Stat>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s) stats.set(Number(name), s);
  }
  const isDescendant = (pid: number) => {
    for (let p = stats.get(pid)?.ppid, hops = 0; p !== undefined && p > 1 && hops < 64; p = stats.get(p)?.ppid, hops++)
      if (p === process.pid) return true;
    return false;
  };
  const found: Leftover[] = [];
  for (const [pid, s] of stats) {
    // Zombies have exited already; kernel threads have no command line.
    if (mine.has(pid) || s.state === 'Z' || s.start < after || isDescendant(pid)) continue;
    const args = read(() => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'))
      .split('\0')
      .filter(Boolean);
    if (args.length === 0) continue;
    const cwd = read(() => fs.readlinkSync(`/proc/${pid}/cwd`));
    const exe = read(() => fs.readlinkSync(`/proc/${pid}/exe`));
    if (inside(cwd) || inside(exe) || args.some((a) => a.includes(root + path.sep) || a === root))
      found.push({ pid, command: args.join(' '), cwd: cwd || '?' });
  }
  return found;
}

/**
 * What `npm test` runs last. Waits up to `settleMs` for processes still shutting down (a tsx helper
 * whose parent just exited) to go; names every one still running, SIGKILLs its group (or itself,
 * when the group is this process's own), and fails when there was any.
 */
export async function checkLeftovers(
  root: string,
  opts: { since?: number; settleMs?: number; log: (line: string) => void },
): Promise<{ failed: boolean; leftovers: Leftover[] }> {
  const deadline = Date.now() + (opts.settleMs ?? 5_000);
  let left = findLeftovers(root, opts.since);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    left = findLeftovers(root, opts.since);
  }
  if (left.length === 0) return { failed: false, leftovers: [] };
  opts.log(`${left.length} process(es) still running under ${root} after the tests:`);
  for (const p of left) opts.log(`  pid ${p.pid} (cwd ${p.cwd}): ${p.command.slice(0, 300)}`);
  const started = new Map(left.map((p) => [p.pid, stat(p.pid)?.start]));
  const ours = new Set([...ancestors()].map((pid) => stat(pid)?.pgid));
  for (const p of left) {
    const pgid = stat(p.pid)?.pgid;
    try {
      process.kill(pgid !== undefined && pgid > 1 && !ours.has(pgid) ? -pgid : p.pid, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
  const alive = () =>
    left.filter((p) => {
      const s = stat(p.pid);
      return s !== undefined && s.state !== 'Z' && s.start === started.get(p.pid);
    });
  const gone = Date.now() + 5_000;
  while (alive().length > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
  for (const p of alive()) opts.log(`  pid ${p.pid} survived SIGKILL`);
  opts.log('killed them (SIGKILL, with their process groups): something a test started outlived it, so the run fails.');
  return { failed: true, leftovers: left };
}
