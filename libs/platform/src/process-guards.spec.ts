import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Runs the fixture in its own process: what a real app does on each kind of fault. */
function run(fault: 'rejection' | 'exception' | 'none') {
  const fixture = path.join(__dirname, 'testing', 'guarded-process.fixture.ts');
  const result = spawnSync(process.execPath, ['--import', 'tsx', fixture, fault], { encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

describe('process guards', () => {
  it('logs and counts an unhandled rejection, and keeps the process running', () => {
    const { code, out } = run('rejection');
    expect(out).toContain('still running; unhandled rejections: 1');
    expect(out).toMatch(/"level":50.*unhandled promise rejection; carrying on/);
    expect(out).toContain('redis went away');
    expect(code).toBe(0);
  });

  it('logs an uncaught exception as fatal and exits non-zero for the supervisor to restart', () => {
    const { code, out } = run('exception');
    expect(out).toMatch(/"level":60.*uncaught exception; exiting/);
    expect(out).toContain('state is corrupt');
    expect(out).not.toContain('still running');
    expect(code).toBe(1);
  });

  it('counts nothing when nothing went wrong', () => {
    expect(run('none').out).toContain('still running; unhandled rejections: 0');
  });
});
