import fs from 'node:fs';
import { startCpuHog } from './cpu-hog';

/** TEST_LOAD's busy loop: it burns CPU until stopped, and stops by itself at its deadline. */
const cpuTicks = (pid: number) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime + stime (fields 14 and 15).
  return Number(f[11]) + Number(f[12]);
};
const running = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
async function waitUntil(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

it('keeps a core busy until stopped', async () => {
  const hog = startCpuHog(1, 60_000);
  try {
    const [pid] = hog.pids as [number];
    // Half a second of CPU (clock ticks are 1/100 s), which a sleeping process never adds up. Waited
    // for rather than timed: on a machine busy with other tests it gets only its share of a core.
    const before = cpuTicks(pid);
    await waitUntil(() => cpuTicks(pid) - before >= 50, 30_000);
    expect(cpuTicks(pid) - before).toBeGreaterThanOrEqual(50);
    await hog.stop();
    expect(running(pid)).toBe(false);
  } finally {
    await hog.stop();
  }
});

it('stops by itself at its deadline', async () => {
  const hog = startCpuHog(2, 300);
  try {
    expect(hog.pids).toHaveLength(2);
    await waitUntil(() => hog.pids.every((pid) => !running(pid)), 10_000);
    expect(hog.pids.filter(running)).toEqual([]);
  } finally {
    await hog.stop();
  }
});
