import { spawnTestProcess } from '@taskflow/testing';
import { isAlive } from './net';
import { stopStale } from './child';

describe('stopStale', () => {
  it('leaves alone a live process that is not the one the pid file meant (pid reused after a reboot)', async () => {
    const unrelated = spawnTestProcess('sleep', ['30'], { name: 'sleep', deadlineMs: 30_000, stdio: 'ignore' });
    await stopStale(unrelated.pid, 'SIGTERM', 'redis-server', 500);
    expect(isAlive(unrelated.pid)).toBe(true);
  });

  it('stops the process the pid file meant', async () => {
    const stale = spawnTestProcess('sleep', ['30'], { name: 'sleep', deadlineMs: 30_000, stdio: 'ignore' });
    await stopStale(stale.pid, 'SIGTERM', 'sleep 30', 2_000);
    await stale.exited;
    expect(stale.proc.signalCode).toBe('SIGTERM');
  });
});
