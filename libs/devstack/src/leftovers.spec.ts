import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import { spawnTestProcess, type TestProcess } from '@taskflow/testing';
import { checkLeftovers, findLeftovers } from './leftovers';
import { waitFor } from './net';

/**
 * The check `npm test` ends with, against a directory of the test's own: a process that ignores
 * SIGTERM, left running there, is named (pid and command), killed, and fails the check.
 */
const STUBBORN = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('up')";

let dir: string;
let orphan: number;

/** Runs `node -e STUBBORN` in `dir` as an orphan, as a process that outlived its test is: its parent has exited. */
function startOrphan(): number {
  const out = execFileSync('sh', ['-c', `"$0" -e "$1" >/dev/null 2>&1 & echo $!`, process.execPath, STUBBORN], {
    cwd: dir,
    encoding: 'utf8',
  });
  return Number(out.trim());
}

beforeAll(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tf-leftovers-')));
});
afterAll(() => {
  if (orphan && running(orphan)) process.kill(orphan, 'SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

const running = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

it('names a process left running under the directory, kills it, and fails', async () => {
  orphan = startOrphan();
  await waitFor('the orphan to run', async () => (findLeftovers(dir).length > 0 ? true : undefined), 20_000);
  const lines: string[] = [];
  const check = await checkLeftovers(dir, { settleMs: 500, log: (l) => lines.push(l) });
  expect(check.failed).toBe(true);
  expect(check.leftovers).toEqual([{ pid: orphan, command: `${process.execPath} -e ${STUBBORN}`, cwd: dir }]);
  expect(lines.join('\n')).toContain(`pid ${orphan} (cwd ${dir}): ${process.execPath} -e ${STUBBORN}`);
  await waitFor('the leftover to be gone', async () => (running(orphan) ? undefined : true), 10_000);
});

it("does not count the checker's own children (tsx's esbuild service), and counts everyone else's", async () => {
  // Started by this Jest process: a leftover for any other checker, as a test's process is for npm test's.
  const child: TestProcess = spawnTestProcess(process.execPath, ['-e', STUBBORN], {
    name: 'own child',
    cwd: dir,
    deadlineMs: 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await child.waitForOutput('up', 20_000);
  expect(findLeftovers(dir)).toEqual([]);
  // A checker run with tsx, as npm test's is: importing TypeScript starts an esbuild service, its child, in `dir`.
  const script = path.join(dir, 'check.mts');
  fs.writeFileSync(
    script,
    `const m = await import(${JSON.stringify(path.join(__dirname, 'leftovers.ts'))});\n` +
      `console.log(JSON.stringify(m.findLeftovers(process.argv[2], 1)));\n`,
  );
  const out = execFileSync(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, script, dir], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const seen = (JSON.parse(out.trim().split('\n').pop()!) as Array<{ pid: number; command: string }>).map((l) => l.command);
  expect(seen).toEqual([`${process.execPath} -e ${STUBBORN}`]);
});

it('passes once nothing is left, and never counts the process that runs it', async () => {
  expect(findLeftovers(dir)).toEqual([]);
  // This Jest process runs under the repository, but neither it nor its parents are leftovers.
  expect(findLeftovers(path.resolve(__dirname, '../../..'), 1).map((l) => l.pid)).not.toContain(process.pid);
  expect(await checkLeftovers(dir, { settleMs: 0, log: () => undefined })).toEqual({ failed: false, leftovers: [] });
});
