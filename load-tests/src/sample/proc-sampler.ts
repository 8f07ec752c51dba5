import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * Each component's processes, asked again at every sample (a restarted node has a new pid);
 * `descendants: false` for the harness itself, whose children include the cluster it started.
 */
export interface PidSource {
  pids: () => number[];
  descendants: boolean;
}

interface ComponentSample {
  /** CPU seconds used so far by the component's processes and their (live and reaped) children. */
  cpuSeconds: number;
  rssKB: number;
}
export type Sample = Record<string, ComponentSample> & { at?: never };

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface Stat {
  pid: number;
  ppid: number;
  /** utime + stime, and cutime + cstime (children already reaped), in ticks. */
  own: number;
  reaped: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(f[1]), own: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined;
  }
}

function readRssKB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Every live process's parent, to find a component's descendants (PostgreSQL's backends). */
function childrenMap(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (!s) continue;
    const list = map.get(s.ppid) ?? [];
    list.push(s.pid);
    map.set(s.ppid, list);
  }
  return map;
}

/**
 * Reads CPU time and RSS of every component from /proc: the component's root
 * processes, all their descendants (PostgreSQL's backends, tsx's loader), and the CPU
 * of children that already exited (cutime/cstime of the roots).
 */
export function sampleComponents(sources: Record<string, PidSource>): Sample {
  const kids = childrenMap();
  const out: Record<string, ComponentSample> = {};
  for (const [name, source] of Object.entries(sources)) {
    let ticks = 0;
    let rssKB = 0;
    const seen = new Set<number>();
    const visit = (pid: number, root: boolean) => {
      if (seen.has(pid)) return;
      seen.add(pid);
      const s = readStat(pid);
      if (!s) return;
      ticks += s.own + (root && source.descendants ? s.reaped : 0);
      rssKB += readRssKB(pid);
      if (source.descendants) for (const child of kids.get(pid) ?? []) visit(child, false);
    };
    for (const pid of source.pids()) visit(pid, true);
    out[name] = { cpuSeconds: ticks / CLK_TCK, rssKB };
  }
  return out;
}

/** CPU seconds used between two samples, per component. */
export function cpuBetween(before: Sample, after: Sample): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(after)) out[name] = round2(Math.max(0, (after[name]?.cpuSeconds ?? 0) - (before[name]?.cpuSeconds ?? 0)));
  return out;
}

export const round2 = (n: number) => Math.round(n * 100) / 100;
