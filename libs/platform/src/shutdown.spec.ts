import { spawn } from 'node:child_process';
import path from 'node:path';

/** Starts the fixture, sends it signals `delaysMs` apart, and returns what it printed and its exit code. */
async function signalled(delaysMs: number[]): Promise<{ out: string; code: number | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'testing', 'stop-signals.fixture.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  while (!out.includes('ready')) await new Promise((r) => setTimeout(r, 20));
  for (const delay of delaysMs) {
    await new Promise((r) => setTimeout(r, delay));
    child.kill('SIGINT');
  }
  await new Promise((r) => setTimeout(r, 200));
  child.kill('SIGKILL');
  return { out, code: await exited };
}

describe('onStopSignals', () => {
  it('treats two signals close together as one Ctrl-C (terminal and supervisor): one stop, no force', async () => {
    const { out } = await signalled([0, 50]);
    expect(out.match(/^stop /gm)).toHaveLength(1);
    expect(out).toContain('stop SIGINT');
    expect(out).not.toContain('force');
  });

  it('forces on a second press after the duplicate window', async () => {
    const { out, code } = await signalled([0, 1700]);
    expect(out).toContain('stop SIGINT');
    expect(out).toContain('force SIGINT');
    expect(code).toBe(130);
  });
});
