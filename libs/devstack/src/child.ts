import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import { isAlive } from './net';

export interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

export function startChild(name: string, command: string, args: string[], options: SpawnOptions): Child {
  const child = spawn(command, args, options);
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null)));
    child.on('error', () => resolve(127));
  });
  return { name, process: child, exited };
}

/** Sends `signal`, waits up to `graceMs`, then SIGKILLs. Resolves once the process is gone. */
export async function stopChild(child: Child, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
  const pid = child.process.pid;
  if (pid === undefined || child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill(signal);
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** The command line of a running process, or undefined when there is none (or it cannot be read). */
function commandLine(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/**
 * Stops a process left behind by an earlier run that was killed hard (its pid file survived).
 * After a reboot the pid may belong to anything: only a process whose command line contains
 * `commandIncludes` is touched.
 */
export async function stopStale(pid: number, signal: NodeJS.Signals, commandIncludes: string, graceMs = 15_000): Promise<void> {
  if (!isAlive(pid)) return;
  const command = commandLine(pid);
  if (command !== undefined && !command.includes(commandIncludes)) return;
  process.kill(pid, signal);
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}
