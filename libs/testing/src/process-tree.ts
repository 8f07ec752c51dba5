import fs from 'node:fs';

/** One line of /proc/<pid>/stat, the fields a process-tree kill needs (Linux). */
export interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  /** R, S, D, T, Z… — a zombie (Z) has exited and only waits to be reaped. */
  state: string;
  /** Start time in clock ticks since boot: tells a process from a later one that reused its pid. */
  start: number;
}

export function readStat(pid: number): ProcStat | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields from the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: f[0]!, ppid: Number(f[1]), pgid: Number(f[2]), start: Number(f[19]) };
  } catch {
    return undefined;
  }
}

function allProcesses(): ProcStat[] {
  const found: ProcStat[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) found.push(s);
  }
  return found;
}

/** Still running: the same process (same start time), not a zombie. */
function isRunning(p: ProcStat): boolean {
  const now = readStat(p.pid);
  return now !== undefined && now.start === p.start && now.state !== 'Z';
}

/**
 * The process group `pgid` (a process started with `detached: true` leads one) and everything
 * descended from its members, including processes that moved to groups of their own (PostgreSQL,
 * redis-server). Members that started before `notBefore` (ticks) are another group that reused the number.
 */
export function treeOf(pgid: number, notBefore = 0): ProcStat[] {
  const table = allProcesses().filter((p) => p.state !== 'Z');
  const children = new Map<number, ProcStat[]>();
  for (const p of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const found = new Map<number, ProcStat>();
  const visit = (p: ProcStat) => {
    if (found.has(p.pid)) return;
    found.set(p.pid, p);
    for (const c of children.get(p.pid) ?? []) visit(c);
  };
  for (const p of table) if (p.pgid === pgid && p.start >= notBefore) visit(p);
  return [...found.values()];
}

const signal = (target: number, sig: NodeJS.Signals) => {
  try {
    process.kill(target, sig);
  } catch {
    // Gone already (ESRCH), or not ours to signal (EPERM): nothing more to do about it here.
  }
};

async function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * Ends a process group and its descendants: SIGTERM to the group (as Ctrl-C would), then, after
 * `graceMs`, SIGKILL to the group and to every process of the tree still running. `known` adds
 * processes seen earlier (descendants that have been re-parented since their parent died).
 * Resolves with the processes that were still running when SIGKILL was needed.
 */
export async function killTree(pgid: number, opts: { graceMs: number; notBefore?: number; known?: ProcStat[] }): Promise<ProcStat[]> {
  const seen = new Map<string, ProcStat>();
  const running = () => {
    for (const p of [...(opts.known ?? []), ...treeOf(pgid, opts.notBefore)]) seen.set(`${p.pid}:${p.start}`, p);
    return [...seen.values()].filter(isRunning);
  };
  const first = running();
  if (first.length === 0) return [];
  // While the group lives, its processes stop what they started (in order); without it, each is told itself.
  if (first.some((p) => p.pgid === pgid)) signal(-pgid, 'SIGTERM');
  else for (const p of first) signal(p.pid, 'SIGTERM');
  if (await until(() => running().length === 0, opts.graceMs)) return [];
  const stubborn = running();
  // Again on every look: a process may still fork between the group's SIGKILL and its own.
  await until(() => {
    const left = running();
    if (left.length === 0) return true;
    signal(-pgid, 'SIGKILL');
    for (const p of left) signal(p.pid, 'SIGKILL');
    return false;
  }, 5_000);
  return stubborn;
}
