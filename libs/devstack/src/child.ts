import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
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

/** Stops a process left behind by an earlier run that was killed hard (its pid file survived). */
export async function stopStale(pid: number, signal: NodeJS.Signals, graceMs = 15_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, signal);
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}
