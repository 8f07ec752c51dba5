import fs from 'node:fs';

/**
 * Process facts read from Linux's /proc: who is whose child, what a process
 * runs and with which environment. The fault tests find PostgreSQL's backends,
 * the server nodes and the workers this way, whoever started them.
 */
interface Stat {
  pid: number;
  ppid: number;
  state: string;
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: rest[0]!, ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

function allStats(): Stat[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((s): s is Stat => s !== undefined);
}

/** Running (a zombie, dead but not yet reaped, counts as gone). */
export function isRunning(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** Stopped by SIGSTOP (state T). */
export function childrenOf(pid: number): number[] {
  return allStats()
    .filter((s) => s.ppid === pid && s.state !== 'Z')
    .map((s) => s.pid);
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const stats = allStats().filter((s) => s.state !== 'Z');
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const s of stats) if (s.ppid === tree[i]) tree.push(s.pid);
  return tree.filter(isRunning);
}

export function cmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

export function environ(pid: number): Record<string, string> {
  try {
    const entries = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
    return Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  } catch {
    return {};
  }
}

/** Resident memory in kB (VmRSS), or undefined when the process is gone. */
export function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // Gone meanwhile (a backend that exited): nothing to signal.
    }
  }
}

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The real uid and gid a process runs as (PostgreSQL runs as `postgres` when the stack is root's). */
export function owner(pid: number): { uid: number; gid: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)![1]);
  return { uid: field('Uid'), gid: field('Gid') };
}
