import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startChild, stopChild, stopStale, type Child } from './child';
import { waitFor } from './net';
import { DEFAULT_RESTART_POLICY, RestartPolicy, type RestartPolicyOptions } from './restart-policy';

export interface RedisHandle {
  url: string;
  port: number;
  /** The current redis-server's (a kept one that was restarted has a new one). */
  readonly pid: number;
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

export interface RedisOptions {
  dataDir: string;
  port: number;
  logFile: string;
  fast?: boolean;
  /**
   * Keep it running: when it exits unasked, say so in one line and start it again on the same
   * port (its AOF brings the data back), with the app processes' restart policy — backoff, and
   * given up on (said so) after too many exits within the window.
   */
  keep?: { log: (line: string) => void; policy?: RestartPolicyOptions; onRestart?: () => void };
}

/**
 * A private redis-server (Debian package) with AOF on (fsync every second) and
 * `noeviction`, as BullMQ requires. Data and logs live under `dataDir`.
 */
export async function startRedis(opts: RedisOptions): Promise<RedisHandle> {
  fs.mkdirSync(opts.dataDir, { recursive: true });
  let child = await spawnRedis(opts);
  const keep = opts.keep;
  if (!keep) {
    return {
      url: `redis://127.0.0.1:${opts.port}`,
      port: opts.port,
      pid: child.process.pid!,
      // SIGTERM makes redis fsync the AOF and exit cleanly.
      stop: () => stopChild(child, 'SIGTERM', 15_000),
    };
  }
  const options = keep.policy ?? DEFAULT_RESTART_POLICY;
  const policy = new RestartPolicy(options);
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let exits = 0;
  const onExit = (how: string, pid: number | undefined) => {
    if (stopping) return;
    exits += 1;
    const decision = policy.onExit(Date.now());
    const what = `redis-server${pid ? ` (pid ${pid})` : ''} ${how}; exit #${exits}`;
    if (decision.action === 'give-up') {
      keep.log(
        `${what}: ${decision.recentExits} exits within ${Math.round(options.windowMs / 1000)} s, not restarting it — ` +
          `task changes are refused until it is back; see ${opts.logFile} and docs/troubleshooting.md`,
      );
      return;
    }
    keep.log(`${what}: restarting it on 127.0.0.1:${opts.port} in ${decision.delayMs} ms`);
    timer = setTimeout(() => {
      spawnRedis(opts).then(
        (next) => {
          if (stopping) return void stopChild(next, 'SIGTERM', 15_000);
          child = next;
          watch(next);
          keep.onRestart?.();
        },
        (err: Error) => onExit(`could not be started again (${err.message})`, undefined),
      );
    }, decision.delayMs);
  };
  const watch = (c: Child) =>
    void c.exited.then((code) => {
      if (c === child) onExit(`exited unexpectedly (${c.process.signalCode ?? `code ${code}`})`, c.process.pid);
    });
  watch(child);
  return {
    url: `redis://127.0.0.1:${opts.port}`,
    port: opts.port,
    get pid() {
      return child.process.pid!;
    },
    stop: async () => {
      stopping = true;
      clearTimeout(timer);
      await stopChild(child, 'SIGTERM', 15_000);
      // Given up on, it may have been started again by hand (docs/troubleshooting.md) with our pid file: stop that one too.
      await stopFromPidFile(opts.dataDir);
    },
  };
}

/** Stops the redis-server named by the pid file in `dataDir`, if one runs (redis removes the file when it exits cleanly). */
async function stopFromPidFile(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'redis.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  if (pid > 0) await stopStale(pid, 'SIGTERM', 'redis-server');
}

/** Starts redis-server and resolves once it answers PING; rejects when it exits first. */
async function spawnRedis(opts: RedisOptions): Promise<Child> {
  const pidFile = path.join(opts.dataDir, 'redis.pid');
  await stopFromPidFile(opts.dataDir);
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
  }).catch(async (err: unknown) => {
    await stopChild(child, 'SIGKILL', 1000);
    throw err;
  });
  return child;
}
