import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { killTree, readStat, treeOf, type ProcStat } from './process-tree';

/**
 * Child processes of tests. Each runs in a process group of its own (`detached: true`), so that it
 * and everything it starts — `npm run x` is npm, a shell and node — can be ended together; each has
 * a deadline; and each is ended, at the latest, when the test that started it ends (passed, failed
 * or timed out), or, for one started in `beforeAll` or at a describe block's level, when that block
 * ends. The Jest setup file test-process.jest-setup.ts (jest.preset.js) reports those moments.
 */
export interface TestProcessOptions extends Omit<SpawnOptions, 'detached'> {
  /** What to call it in messages (`cluster:ctl status`, an entry point…). */
  name: string;
  /** After this long, the process and everything it started are killed, whatever the test is doing. */
  deadlineMs: number;
  /**
   * When it is ended at the latest: `test` (the default inside a test) when the running test ends;
   * `suite` when the describe block running now ends — for a process a test starts for later tests.
   */
  scope?: 'test' | 'suite';
  /** How long SIGTERM may take before SIGKILL when it is ended (deadline, end of its test). */
  graceMs?: number;
}

export interface TestProcess {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** stdout and stderr so far, as they arrived (for the streams that are pipes). */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Its exit code; 128 when a signal ended it; 127 when it could not be started. */
  readonly exited: Promise<number | null>;
  /** Whether its deadline ended it. */
  readonly timedOut: boolean;
  /** Resolves when the output contains `text` (rejects on exit or timeout). */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /**
   * Sends `signal` to the process itself (an orderly stop), waits up to `graceMs` for it to exit,
   * then ends what is left of its group and descendants. Resolves with its exit code.
   */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
  /** Ends it and everything it started now: SIGTERM to the group, SIGKILL after the grace period. */
  kill(): Promise<void>;
}

const DEFAULT_GRACE_MS = 3_000;

/** Where a test run keeps its processes and its position (test, describe blocks); shared by every copy of this module. */
interface Registry {
  /** Set by the Jest setup file: outside Jest (a tool), nothing would ever end a scope. */
  jest: boolean;
  live: Map<TestProcess, object | undefined>;
  test?: object;
  suites: object[];
}
const REGISTRY = Symbol.for('taskflow.test-processes');
function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (g[REGISTRY] ??= { jest: false, live: new Map(), suites: [] });
}

export function spawnTestProcess(command: string, args: readonly string[], options: TestProcessOptions): TestProcess {
  const { name, deadlineMs, scope, graceMs = DEFAULT_GRACE_MS, ...spawnOptions } = options;
  const proc = spawn(command, args, { ...spawnOptions, detached: true });
  const pid = proc.pid ?? -1;
  const start = proc.pid === undefined ? 0 : (readStat(pid)?.start ?? 0);
  let out = '';
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d;
    stdout += d;
  });
  proc.stderr?.on('data', (d: Buffer) => {
    out += d;
    stderr += d;
  });
  let timedOut = false;
  const known = new Map<string, ProcStat>();
  const exited = new Promise<number | null>((resolve) => {
    proc.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : null)));
    proc.on('error', (err) => {
      out += `${name}: ${err.message}\n`;
      stderr += `${name}: ${err.message}\n`;
      resolve(127);
    });
  });
  const running = () => proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined;
  // Descendants that left the group (detached services) are found through their parents: note them while those live.
  const remember = () => {
    if (proc.pid === undefined) return;
    for (const p of treeOf(pid, start)) if (p.pgid !== pid) known.set(`${p.pid}:${p.start}`, p);
  };
  const kill = async () => {
    if (proc.pid === undefined) return;
    remember();
    await killTree(pid, { graceMs, notBefore: start, known: [...known.values()] });
  };
  const deadline = setTimeout(() => {
    timedOut = true;
    const note = `[test-process] ${name} ran past its ${deadlineMs} ms deadline: killed\n`;
    out += note;
    stderr += note;
    void kill();
  }, deadlineMs);
  deadline.unref();
  void exited.then(() => clearTimeout(deadline));

  const matches = (text: string | RegExp) => (typeof text === 'string' ? out.includes(text) : text.test(out));
  const handle: TestProcess = {
    name,
    proc,
    pid,
    output: () => out,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    get timedOut() {
      return timedOut;
    },
    async waitForOutput(text, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (!matches(text)) {
        if (!running()) throw new Error(`${name} exited before printing ${text}:\n${out}`);
        if (Date.now() > until) throw new Error(`${name} did not print ${text} in ${timeoutMs} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal = 'SIGTERM', stopGraceMs = 30_000) {
      if (running()) {
        remember();
        proc.kill(signal);
        const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), stopGraceMs).unref());
        await Promise.race([exited, timer]);
      }
      await kill();
      return exited;
    },
    kill,
  };
  const reg = registry();
  if (reg.jest) reg.live.set(handle, reg.test !== undefined && scope !== 'suite' ? reg.test : reg.suites.at(-1));
  return handle;
}

export interface TestProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr as they arrived. */
  output: string;
  timedOut: boolean;
}

/**
 * Runs a command to its end, output complete (its pipes closed): for the commands a test runs and
 * reads, like `npm run jobs -- list-failed`. Past `deadlineMs` it is killed, and says so in stderr.
 */
export async function runTestProcess(command: string, args: readonly string[], options: TestProcessOptions): Promise<TestProcessResult> {
  const p = spawnTestProcess(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  await new Promise<void>((resolve) => {
    p.proc.once('close', () => resolve());
    p.proc.once('error', () => resolve());
  });
  return { code: await p.exited, stdout: p.stdout(), stderr: p.stderr(), output: p.output(), timedOut: p.timedOut };
}

/** Ends, together, the processes registered to `scope`; `undefined` ends every one still registered. */
async function endScope(scope: object | undefined): Promise<void> {
  const reg = registry();
  const ending = [...reg.live].filter(([, s]) => scope === undefined || s === scope).map(([p]) => p);
  for (const p of ending) reg.live.delete(p);
  await Promise.all(ending.map((p) => p.kill()));
}

/** What the Jest setup file reports: where the run is, and when a test or a describe block has ended. */
export const testProcessScopes = {
  attach(): void {
    registry().jest = true;
  },
  testStarted(test: object): void {
    registry().test = test;
  },
  async testDone(test: object): Promise<void> {
    const reg = registry();
    if (reg.test === test) reg.test = undefined;
    await endScope(test);
  },
  suiteStarted(block: object): void {
    registry().suites.push(block);
  },
  async suiteDone(block: object): Promise<void> {
    const reg = registry();
    reg.suites = reg.suites.filter((b) => b !== block);
    // The file's outermost block: whatever is left (processes started while the file was loaded, too).
    await endScope(reg.suites.length === 0 ? undefined : block);
  },
};
