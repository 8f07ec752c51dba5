import { spawn } from 'node:child_process';
import path from 'node:path';
import { USAGE } from './options';

/** `npm run bench -- --help` and a mistyped option, through the root script as a user types them. */
jest.setTimeout(60_000);

function bench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn('npm', ['run', '-s', 'bench', '--', ...args], {
    cwd: path.resolve(__dirname, '../..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d) => (stdout += d));
  proc.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => proc.on('close', (code) => resolve({ code, stdout, stderr })));
}

it('--help prints the usage and starts nothing', async () => {
  expect(await bench(['--help'])).toEqual({ code: 0, stdout: `${USAGE}\n`, stderr: '' });
});

it('a mistyped option is named, with the usage, exit 2 and no stack trace', async () => {
  const run = await bench(['smoke', '--sockts', '5']);
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^Unknown option '--sockts'/);
  expect(run.stderr).toContain(USAGE);
  expect(run.stderr).not.toMatch(/^\s+at /m);
});
