import path from 'node:path';
import { spawnTestProcess } from '@taskflow/testing';

/**
 * Starts the fixture, sends it signals `delaysMs` apart, and returns what it printed and its exit code; `exits`: the
 * signals make it exit (a force), which is waited for, rather than only stop.
 */
async function signalled(delaysMs: number[], { exits = false } = {}): Promise<{ out: string; code: number | null }> {
  const child = spawnTestProcess(process.execPath, ['--import', 'tsx', path.join(__dirname, 'testing', 'stop-signals.fixture.ts')], {
    name: 'stop-signals fixture',
    deadlineMs: 30_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await child.waitForOutput('ready', 20_000);
  // The spacing of the signals is what the tests are about.
  for (const delay of delaysMs) {
    await new Promise((r) => setTimeout(r, delay));
    child.proc.kill('SIGINT');
  }
  const answered = () => (exits ? child.proc.exitCode !== null : child.stdout().includes('stop '));
  for (const deadline = Date.now() + 10_000; !answered() && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
  // A moment in which a wrong second reaction (a force) would show.
  if (!exits) await new Promise((r) => setTimeout(r, 200));
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
    const { out, code } = await signalled([0, 1700], { exits: true });
    expect(out).toContain('stop SIGINT');
    expect(out).toContain('force SIGINT');
    expect(code).toBe(130);
  });
});
