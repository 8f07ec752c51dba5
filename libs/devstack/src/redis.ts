import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startChild, stopChild, stopStale, type Child } from './child';
import { waitFor } from './net';
import { DEFAULT_RESTART_POLICY, RestartPolicy, type RestartPolicyOptions } from './restart-policy';

export interface RedisHandle {
  /** `redis://:<password>@127.0.0.1:<port>`: what every client connects with. */
  url: string;
  port: number;
  /** What a client must send (AUTH) before any command: the server answers NOAUTH without it. */
  password: string;
  /** The current redis-server's (a kept one that was restarted has a new one). */
  readonly pid: number;
  stop(): Promise<void>;
}

/** The URL of a private redis-server, with its password (URL-encoded: any character may be in it). */
export function localRedisUrl(port: number, password: string, host = '127.0.0.1'): string {
  return `redis://:${encodeURIComponent(password)}@${host}:${port}`;
}

/** A command in RESP (length-prefixed), so a password needs no quoting. */
const resp = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/**
 * Sends PING over a raw socket (after AUTH when a password is given); resolves true on +PONG.
 * A server that requires a password answers a bare PING with NOAUTH: false.
 */
export function pingRedis(port: number, password?: string, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.setTimeout(1000);
    let reply = '';
    socket.on('data', (buf) => {
      reply += buf.toString();
      // AUTH's +OK comes first; an error (NOAUTH, WRONGPASS) settles it.
      if (!reply.includes('+PONG') && !reply.startsWith('-') && !reply.includes('\r\n-')) return;
      socket.destroy();
      resolve(reply.includes('+PONG'));
    });
    socket.once('connect', () => socket.write((password === undefined ? '' : resp('AUTH', password)) + resp('PING')));
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
   * Every client must AUTH with it (`requirepass`), as in the deployment; a random one when not
   * given. Written to a mode-600 config file in `dataDir`, never on the command line (`ps` shows that).
   */
  password?: string;
  /**
   * Keep it running: when it exits unasked, say so in one line and start it again on the same
   * port (its AOF brings the data back), with the app processes' restart policy — backoff, and
   * given up on (said so) after too many exits within the window.
   */
  keep?: { log: (line: string) => void; policy?: RestartPolicyOptions; onRestart?: () => void };
  /**
   * A Redis Cluster node (`cluster-enabled yes`, its own nodes.conf in `dataDir`); replicas
   * authenticate to their master with the same password (`masterauth`). `nodeTimeoutMs` is how long
   * a master may be unreachable before its replica is promoted.
   */
  cluster?: { nodeTimeoutMs: number };
  /** The address it listens on and its URL names; 127.0.0.1 unless given. */
  listenHost?: string;
  /** Runs it inside this Linux network namespace (`ip netns exec`; root only). */
  netns?: string;
}

/**
 * A private redis-server (Debian package) with AOF on (fsync every second) and
 * `noeviction`, as BullMQ requires. Data and logs live under `dataDir`.
 */
export async function startRedis(given: RedisOptions): Promise<RedisHandle> {
  const password = given.password ?? randomBytes(18).toString('base64url');
  const opts = { ...given, password };
  fs.mkdirSync(opts.dataDir, { recursive: true });
  let child = await spawnRedis(opts);
  const keep = opts.keep;
  if (!keep) {
    return {
      url: localRedisUrl(opts.port, password, opts.listenHost),
      port: opts.port,
      password,
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
    url: localRedisUrl(opts.port, password, opts.listenHost),
    port: opts.port,
    password,
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

/** The config file redis-server reads first: only the password, kept out of `ps`. */
export const REDIS_CONFIG_FILE = 'redis.conf';

/** Starts redis-server and resolves once it answers PING; rejects when it exits first. */
async function spawnRedis(opts: RedisOptions & { password: string }): Promise<Child> {
  const pidFile = path.join(opts.dataDir, 'redis.pid');
  await stopFromPidFile(opts.dataDir);
  const configFile = path.join(opts.dataDir, REDIS_CONFIG_FILE);
  // A quoted string in redis.conf takes \\ and \" escapes; the base64url passwords we generate need none.
  const quoted = `"${opts.password.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  const config = `requirepass ${quoted}\n` + (opts.cluster ? `masterauth ${quoted}\n` : '');
  fs.writeFileSync(configFile, config, { mode: 0o600 });
  fs.chmodSync(configFile, 0o600);
  const args = [
    configFile,
    '--port',
    String(opts.port),
    '--bind',
    opts.listenHost ?? '127.0.0.1',
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
    ...(opts.cluster
      ? [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          path.join(opts.dataDir, 'nodes.conf'),
          '--cluster-node-timeout',
          String(opts.cluster.nodeTimeoutMs),
          // A replica always takes over from a dead master, even one it had not finished syncing from.
          '--cluster-replica-validity-factor',
          '0',
        ]
      : []),
  ];
  const child = opts.netns
    ? startChild('redis', 'ip', ['netns', 'exec', opts.netns, 'redis-server', ...args], { stdio: 'ignore', detached: true })
    : startChild('redis', 'redis-server', args, { stdio: 'ignore', detached: true });
  let exitedEarly = false;
  void child.exited.then(() => (exitedEarly = true));
  await waitFor('redis-server to answer PING', async () => {
    if (exitedEarly) throw new Error(`redis-server exited during start-up; see ${opts.logFile}`);
    return (await pingRedis(opts.port, opts.password, opts.listenHost)) || undefined;
  }).catch(async (err: unknown) => {
    await stopChild(child, 'SIGKILL', 1000);
    throw err;
  });
  return child;
}
