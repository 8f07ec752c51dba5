import { spawn } from 'node:child_process';
import { isAlive } from './net';
import { stopStale } from './child';

describe('stopStale', () => {
  it('leaves alone a live process that is not the one the pid file meant (pid reused after a reboot)', async () => {
    const unrelated = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await stopStale(unrelated.pid!, 'SIGTERM', 'redis-server', 500);
      expect(isAlive(unrelated.pid!)).toBe(true);
    } finally {
      unrelated.kill('SIGKILL');
    }
  });

  it('stops the process the pid file meant', async () => {
    const stale = spawn('sleep', ['30'], { stdio: 'ignore' });
    const gone = new Promise((resolve) => stale.on('exit', resolve));
    await stopStale(stale.pid!, 'SIGTERM', 'sleep 30', 2_000);
    await gone;
    expect(stale.signalCode).toBe('SIGTERM');
  });
});
