import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnTestProcess, type TestProcess } from '@taskflow/testing';
import { checkLeftovers, findLeftovers } from './leftovers';

/**
 * The check `npm test` ends with, against a directory of the test's own: a process that ignores
 * SIGTERM, left running there, is named (pid and command), killed, and fails the check.
 */
const STUBBORN = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('up')";

let dir: string;
let child: TestProcess;
beforeAll(async () => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tf-leftovers-')));
  child = spawnTestProcess(process.execPath, ['-e', STUBBORN], {
    name: 'leftover',
    cwd: dir,
    deadlineMs: 60_000,
    scope: 'suite',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await child.waitForOutput('up', 20_000);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const running = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

it('names a process left running under the directory, kills it, and fails', async () => {
  const lines: string[] = [];
  const check = await checkLeftovers(dir, { settleMs: 500, log: (l) => lines.push(l) });
  expect(check.failed).toBe(true);
  expect(check.leftovers).toEqual([{ pid: child.pid, command: `${process.execPath} -e ${STUBBORN}`, cwd: dir }]);
  expect(lines.join('\n')).toContain(`pid ${child.pid} (cwd ${dir}): ${process.execPath} -e ${STUBBORN}`);
  expect(await child.exited).toBe(128);
  expect(child.proc.signalCode).toBe('SIGKILL');
  expect(running(child.pid)).toBe(false);
});

it('passes once nothing is left, and never counts the process that runs it', async () => {
  expect(findLeftovers(dir)).toEqual([]);
  // This Jest process runs under the repository, but neither it nor its parents are leftovers.
  expect(findLeftovers(path.resolve(__dirname, '../../..'), 1).map((l) => l.pid)).not.toContain(process.pid);
  expect(await checkLeftovers(dir, { settleMs: 0, log: () => undefined })).toEqual({ failed: false, leftovers: [] });
});
