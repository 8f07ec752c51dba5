import { startChild, stopChild, type Child } from './child';

/**
 * `TEST_LOAD=N npm test`: N processes that each keep one core busy for the whole run, so that the
 * tests are proven on a machine that is busy with something else. Each is bounded: it stops at its
 * deadline, or when the process that started it is gone (however it ended), and `stop()` ends it.
 */
export interface CpuHog {
  pids: number[];
  stop(): Promise<void>;
}

/** A busy loop that looks up now and then whether its parent is still the one that started it. */
const busyLoop = (deadlineMs: number) =>
  `const end = Date.now() + ${deadlineMs}; const parent = process.ppid; let n = 0;
   while (Date.now() < end) if (++n % 1e6 === 0 && process.ppid !== parent) break;`;

export function startCpuHog(cores: number, deadlineMs: number): CpuHog {
  const children: Child[] = Array.from({ length: cores }, (_, i) =>
    // A process group of its own: a Ctrl-C meant for the tests does not reach it; stop() does.
    startChild(`cpu-hog-${i + 1}`, process.execPath, ['-e', busyLoop(deadlineMs)], { stdio: 'ignore', detached: true }),
  );
  return {
    pids: children.map((c) => c.process.pid!),
    async stop() {
      await Promise.all(children.map((c) => stopChild(c, 'SIGTERM', 2_000)));
    },
  };
}
