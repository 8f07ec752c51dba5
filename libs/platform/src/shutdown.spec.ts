import path from 'node:path';
import { spawnTestProcess } from '@taskflow/testing';

/** Starts the fixture, sends it signals `delaysMs` apart, and returns what it printed and its exit code. */
async function signalled(delaysMs: number[]): Promise<{ out: string; code: number | null }> {
  const child = spawnTestProcess(process.execPath, ['--import', 'tsx', path.join(__dirname, 'testing', 'stop-signals.fixture.ts')], {
    name: 'stop-signals fixture',
    deadlineMs: 30_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await child.waitForOutput('ready', 20_000);
  for (const delay of delaysMs) {
    await new Promise((r) => setTimeout(r, delay));
    child.proc.kill('SIGINT');
  }
  await new Promise((r) => setTimeout(r, 200));
  child.proc.kill('SIGKILL');
  const code = await child.exited;
  return { out: child.stdout(), code: child.proc.signalCode ? null : code };
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
