import type { StdioOptions } from 'node:child_process';
import { READY_MESSAGE } from '@taskflow/platform';
import { spawnTestProcess } from '@taskflow/testing';
import type { Child } from './child';
import { Supervisor } from './supervisor';

/**
 * The supervisor with real processes (plain `node -e`, no app): a worker that
 * keeps dying is restarted with backoff and then given up on, while a healthy
 * one keeps running; stopAll stops what is left and restarts nothing.
 */
const CRASHING = 'setTimeout(() => process.exit(3), 50)';
const HEALTHY = 'setInterval(() => undefined, 1000); process.on("SIGTERM", () => process.exit(0))';

/** A child as startChild makes it, in a process group of its own that ends with the test at the latest. */
const testChild = (name: string, script: string, stdio: StdioOptions = 'ignore'): Child => {
  const p = spawnTestProcess(process.execPath, ['-e', script], { name, deadlineMs: 60_000, stdio });
  return { name, process: p.proc, exited: p.exited };
};

describe('Supervisor with real processes', () => {
  it('restarts a crashing worker with backoff, gives up on the crash loop, keeps the healthy one', async () => {
    const lines: string[] = [];
    let spawned = 0;
    const supervisor = new Supervisor({
      url: 'http://127.0.0.1:9',
      log: (l) => lines.push(l),
      policy: { maxExits: 5, windowMs: 60_000, baseDelayMs: 20, maxDelayMs: 200 },
      spawn: (name) => {
        spawned += 1;
        return testChild(name, name === 'worker-1' ? HEALTHY : CRASHING);
      },
    });
    const healthy = supervisor.addWorker();
    const crashing = supervisor.addWorker();
    const firstPid = healthy.child!.process.pid;
    const deadline = Date.now() + 15_000;
    while (crashing.state !== 'crash-loop' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

    expect(crashing.state).toBe('crash-loop');
    expect(crashing.exits).toBe(5);
    // 1 healthy + the crashing one started 5 times (first start and 4 restarts), then left alone.
    expect(spawned).toBe(6);
    const restarts = supervisor.events
      .filter((e) => e.name === 'worker-2' && e.kind === 'restart')
      .map((e) => Number(/in (\d+) ms/.exec(e.detail)![1]));
    expect(restarts).toEqual([20, 40, 80, 160]);
    expect(lines.at(-1)).toMatch(/^worker-2 5 exits within 60 s: not restarting it/);
    // No sixth start: more than the longest backoff (200 ms) later.
    await new Promise((r) => setTimeout(r, 300));
    expect(spawned).toBe(6);
    expect(healthy.state).toBe('ready');
    expect(healthy.child!.process.pid).toBe(firstPid);
    expect(healthy.child!.process.exitCode).toBeNull();

    await supervisor.stopAll();
    expect(healthy.child!.process.exitCode).toBe(0);
    expect(supervisor.events.filter((e) => e.name === 'worker-1' && e.kind === 'exit')).toEqual([]);
  });

  it('a worker that dies once is restarted; an operator stop is not a crash', async () => {
    const supervisor = new Supervisor({
      url: 'http://127.0.0.1:9',
      log: () => undefined,
      policy: { maxExits: 5, windowMs: 60_000, baseDelayMs: 20, maxDelayMs: 200 },
      spawn: (name) => testChild(name, HEALTHY),
    });
    const w = supervisor.addWorker();
    const first = w.child!;
    first.process.kill('SIGKILL');
    const deadline = Date.now() + 15_000;
    while ((w.child === first || w.state !== 'ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(w.child).not.toBe(first);
    expect(w.exits).toBe(1);
    await supervisor.removeWorker(w);
    // Gone (by its handler or, if it had not installed it yet, by the signal), and not restarted.
    expect(w.child!.process.exitCode ?? w.child!.process.signalCode).not.toBeNull();
    // No restart follows: a time in which the 20 ms backoff would have started one.
    await new Promise((r) => setTimeout(r, 200));
    expect(supervisor.workers).toEqual([]);
    expect(w.exits).toBe(1);
  });

  describe('a worker started with an IPC channel', () => {
    const READY_AFTER_MS = 800;
    /** A worker that says it is ready (as apps/worker does once its queues are connected) `readyAfterMs` after it starts, or never. */
    const worker = (readyAfterMs: number | null) =>
      `setInterval(() => undefined, 1000); process.on("SIGTERM", () => process.exit(0));` +
      (readyAfterMs === null ? '' : ` setTimeout(() => process.send(${JSON.stringify(READY_MESSAGE)}), ${readyAfterMs});`);
    const supervise = (readyAfterMs: number | null) =>
      new Supervisor({
        url: 'http://127.0.0.1:9',
        log: () => undefined,
        readyTimeoutMs: 3000,
        workersSayReady: true,
        spawn: (name) => testChild(name, worker(readyAfterMs), ['ignore', 'ignore', 'inherit', 'ipc']),
      });

    it('is starting until it says it is ready, and a rolling restart reports it only then', async () => {
      const supervisor = supervise(READY_AFTER_MS);
      const w = supervisor.addWorker();
      expect(w.state).toBe('starting');
      await supervisor.untilReady(w, 5000);
      const firstPid = w.child!.process.pid;

      const started = Date.now();
      const reported: Array<{ line: string; state: string; pid: number | undefined; afterMs: number }> = [];
      await supervisor.restart((line) => reported.push({ line, state: w.state, pid: w.child?.process.pid, afterMs: Date.now() - started }));
      expect(reported).toEqual([
        {
          line: expect.stringMatching(/^worker-1 restarted \(pid \d+\) and ready in \d+ ms$/),
          state: 'ready',
          pid: expect.any(Number),
          afterMs: expect.any(Number),
        },
      ]);
      expect(reported[0]!.pid).not.toBe(firstPid);
      expect(reported[0]!.afterMs).toBeGreaterThanOrEqual(READY_AFTER_MS);
      await supervisor.stopAll();
    });

    it('that never says it is ready fails the rolling restart, named', async () => {
      const supervisor = supervise(null);
      const w = supervisor.addWorker();
      await expect(supervisor.restart()).rejects.toThrow('worker-1 was not ready within 3000 ms');
      expect(w.state).toBe('starting');
      await supervisor.stopAll();
    });
  });
});
