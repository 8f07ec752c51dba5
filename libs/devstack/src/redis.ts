import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startChild, stopChild, stopStale } from './child';
import { waitFor } from './net';

export interface RedisHandle {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Sends PING over a raw socket; resolves true on +PONG. */
export function pingRedis(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(1000);
    socket.once('data', (buf) => {
      socket.destroy();
      resolve(buf.toString().startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * A private redis-server (Debian package) with AOF on (fsync every second) and
 * `noeviction`, as BullMQ requires. Data and logs live under `dataDir`.
 */
export async function startRedis(opts: { dataDir: string; port: number; logFile: string; fast?: boolean }): Promise<RedisHandle> {
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const pidFile = path.join(opts.dataDir, 'redis.pid');
  if (fs.existsSync(pidFile)) {
    const stalePid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    if (stalePid > 0) await stopStale(stalePid, 'SIGTERM', 'redis-server');
  }
  const args = [
    '--port',
    String(opts.port),
    '--bind',
    '127.0.0.1',
    '--dir',
    opts.dataDir,
    '--pidfile',
    pidFile,
    '--logfile',
    opts.logFile,
    '--daemonize',
    'no',
    '--appendonly',
    opts.fast ? 'no' : 'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--maxmemory-policy',
    'noeviction',
  ];
  const child = startChild('redis', 'redis-server', args, { stdio: 'ignore', detached: true });
  let exitedEarly = false;
  void child.exited.then(() => (exitedEarly = true));
  await waitFor('redis-server to answer PING', async () => {
    if (exitedEarly) throw new Error(`redis-server exited during start-up; see ${opts.logFile}`);
    return (await pingRedis(opts.port)) || undefined;
  });
  return {
    url: `redis://127.0.0.1:${opts.port}`,
    port: opts.port,
    pid: child.process.pid!,
    // SIGTERM makes redis fsync the AOF and exit cleanly.
    stop: () => stopChild(child, 'SIGTERM', 15_000),
  };
}
