import { spawnTestProcess } from './test-process';
import { readStat } from './process-tree';

/**
 * spawnTestProcess with real processes that ignore SIGTERM: whatever a test leaves running is gone
 * once the test ends (checked by the next test), a process past its deadline is killed, and one
 * started in beforeAll lives through its describe block's tests and no longer.
 */
const STUBBORN = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('up')";
// A stubborn process that starts a stubborn child of its own (same group) and prints both pids.
const STUBBORN_PARENT = `
  const { spawn } = require('node:child_process');
  const child = spawn(process.execPath, ['-e', ${JSON.stringify(STUBBORN)}], { stdio: 'ignore' });
  process.on('SIGTERM', () => {});
  setInterval(() => {}, 1000);
  console.log('pids ' + process.pid + ' ' + child.pid);`;

/** Running, and not a zombie waiting to be reaped. */
const running = (pid: number) => {
  const s = readStat(pid);
  return s !== undefined && s.state !== 'Z';
};

const startStubborn = (name: string, opts: { deadlineMs?: number; scope?: 'suite' } = {}) =>
  spawnTestProcess(process.execPath, ['-e', STUBBORN_PARENT], {
    name,
    deadlineMs: opts.deadlineMs ?? 60_000,
    scope: opts.scope,
    graceMs: 300,
    stdio: ['ignore', 'pipe', 'pipe'],
  });

async function pidsOf(p: ReturnType<typeof startStubborn>): Promise<number[]> {
  await p.waitForOutput(/pids \d+ \d+\n/, 20_000);
  return /pids (\d+) (\d+)/.exec(p.output())!.slice(1).map(Number);
}

describe('a process a test leaves running', () => {
  let left: number[] = [];

  it('is started in a process group of its own (with what it starts)', async () => {
    const p = startStubborn('left running');
    left = await pidsOf(p);
    expect(left.map((pid) => running(pid))).toEqual([true, true]);
    expect(left.map((pid) => readStat(pid)!.pgid)).toEqual([p.pid, p.pid]);
    expect(p.pid).toBe(left[0]);
    // Not stopped: the test ends with both still running, and ignoring SIGTERM.
  });

  it('is gone, with its child, once that test has ended', () => {
    expect(left).toHaveLength(2);
    expect(left.map((pid) => ({ pid, running: running(pid) }))).toEqual(left.map((pid) => ({ pid, running: false })));
  });
});

describe('a process past its deadline', () => {
  it('is killed, with its child, and says so', async () => {
    const p = startStubborn('slow', { deadlineMs: 1_500 });
    const pids = await pidsOf(p);
    const started = Date.now();
    expect(await p.exited).toBe(128);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(p.timedOut).toBe(true);
    expect(p.stderr()).toContain('slow ran past its 1500 ms deadline: killed');
    // The group is killed as a whole (SIGKILL after the grace period): the child too.
    await waitUntil(() => !running(pids[1]!));
    expect(running(pids[1]!)).toBe(false);
  });
});

// Filled by the next block, checked after it.
const suitePids: number[] = [];
describe('a process started in beforeAll', () => {
  beforeAll(async () => {
    suitePids.push(...(await pidsOf(startStubborn('suite'))));
  });

  it('runs through the first test of its block…', () => {
    expect(suitePids.map((pid) => running(pid))).toEqual([true, true]);
  });

  it('…and the next (a test ending does not end it)', () => {
    expect(suitePids.map((pid) => running(pid))).toEqual([true, true]);
  });

  describe('and one a test registers for its block', () => {
    let kept: number[] = [];
    it('outlives the test that started it', async () => {
      kept = await pidsOf(startStubborn('kept', { scope: 'suite' }));
    });
    it('until its block ends', () => {
      expect(kept.map((pid) => running(pid))).toEqual([true, true]);
    });
    afterAll(() => {
      suitePids.push(...kept);
    });
  });
});

describe('after those blocks ended', () => {
  it('nothing they started is running', () => {
    expect(suitePids).toHaveLength(4);
    expect(suitePids.filter((pid) => running(pid))).toEqual([]);
  });
});

describe('stop()', () => {
  it('stops the process in order, then ends what it left in its group', async () => {
    const p = spawnTestProcess(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         const child = spawn(process.execPath, ['-e', ${JSON.stringify(STUBBORN)}], { stdio: 'ignore' });
         process.on('SIGTERM', () => process.exit(0));
         setInterval(() => {}, 1000);
         console.log('pids ' + process.pid + ' ' + child.pid);`,
      ],
      { name: 'orderly', deadlineMs: 60_000, graceMs: 300, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const [, child] = await pidsOf(p);
    expect(await p.stop()).toBe(0);
    expect(running(child!)).toBe(false);
  });
});

async function waitUntil(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
