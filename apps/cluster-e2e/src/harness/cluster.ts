import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Cluster as RedisCluster, Redis } from 'ioredis';
import pg from 'pg';
import {
  clusterMasters,
  freePort,
  localRedisUrl,
  masterOfSlot,
  readStackState,
  reshardRedisCluster,
  startRedis,
  waitForTakeover,
  type RedisClusterNode,
  type RedisClusterNodeView,
  type RedisHandle,
  type StackState,
} from '@taskflow/devstack';
import { QUEUES } from '@taskflow/events';
import { spawnTestProcess } from '@taskflow/testing';
import { childrenOf, cmdline, environ, isRunning, owner, processTree, signal, sleep, until } from './proc';

const REPO_ROOT = path.resolve(__dirname, '../../../..');
export const DEMO_PASSWORD = 'faults-pw';

export type Role = 'node' | 'worker' | 'haproxy' | 'postgres' | 'redis';
export interface ClusterProcess {
  role: Role;
  /** `server-1`, `worker-1`, `redis-<port>` for a Redis Cluster node, or the role for the single ones. */
  name: string;
  pid: number;
  port?: number;
}

/**
 * Short timings, so that a dead worker's job is retaken within seconds and the
 * outbox sweep runs often; the retry policy rides out the outages below (a
 * backoff capped at 4 s over the default attempts).
 */
export const FAST_TIMINGS: Readonly<Record<string, string>> = {
  JOB_BACKOFF_MS: '500',
  JOB_BACKOFF_MAX_MS: '4000',
  STALLED_INTERVAL_MS: '1000',
  LOCK_DURATION_MS: '2000',
  PUBLISH_SWEEP_MS: '500',
  PUBLISH_SWEEP_OLDER_THAN_MS: '1000',
  RECONCILE_AFTER_MS: '10000',
  // A worker left stuck by a Redis fault is replaced well inside the suites' waits.
  WORKER_STUCK_AFTER_MS: '5000',
  DRAIN_DELAY_MS: '500',
  PRESENCE_TTL_MS: '3000',
  // The suites create tasks and open sockets faster than a person would.
  TASK_CREATE_PER_MINUTE: '1000',
  TASK_WRITE_PER_MINUTE: '1000',
  // Every client of a killed node reconnects at once, several per user.
  WEBSOCKET_CONNECTS_PER_MINUTE: '10000',
  WEBSOCKET_MAX_SOCKETS_PER_USER: '1000',
};

/** Only what a shell would pass on: nothing of the test runner's own configuration reaches the stack. */
export function baseEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ'];
  return Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
}

interface Secrets {
  pgPassword: string;
  githubWebhookSecret: string;
  redisPassword: string;
}

/**
 * `npm run cluster` (infra/local/bootstrap.mjs cluster) as a user runs it, in
 * a data directory of its own, with the handles a fault test needs: which
 * process is which, stalling and restarting PostgreSQL and Redis, the committed
 * state, and an orderly Ctrl-C at the end after which nothing may be left.
 */
export class Cluster {
  readonly url: string;
  /** Every process the stack ever ran, to check that none outlives the stop. */
  private readonly seen = new Map<number, ClusterProcess>();
  private ownPostgres?: { pid: number; port: number; child: ChildProcess };
  private ownRedis?: RedisHandle;
  /** Redis Cluster nodes this harness started again after killing them. */
  private readonly ownClusterNodes: RedisHandle[] = [];
  private pool?: pg.Pool;
  private redisClient?: Redis | RedisCluster;
  private readonly poller: NodeJS.Timeout;

  private constructor(
    readonly dataDir: string,
    readonly bootstrap: ChildProcess,
    readonly stackFile: StackState,
    readonly secrets: Secrets,
    readonly outputFile: string,
  ) {
    this.url = stackFile.url;
    // Short-lived processes (a restarted node that died again) are remembered too.
    this.poller = setInterval(() => this.processes(), 500);
    this.poller.unref();
  }

  static async start(name: string, env: Record<string, string> = {}): Promise<Cluster> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `taskflow-faults-${name}-`));
    const port = await freePort();
    const outputFile = path.join(dataDir, 'cluster.out');
    const out = fs.openSync(outputFile, 'a');
    // Its own process group, ended with the file at the latest (the suite starts it in beforeAll).
    const bootstrap = spawnTestProcess(process.execPath, [path.join(REPO_ROOT, 'infra/local/bootstrap.mjs'), 'cluster'], {
      name: `npm run cluster (${name})`,
      deadlineMs: 60 * 60_000,
      cwd: REPO_ROOT,
      env: {
        ...baseEnv(),
        ...FAST_TIMINGS,
        DATA_DIR: dataDir,
        PORT: String(port),
        NODES: '2',
        WORKERS: '1',
        LOG_LEVEL: 'warn',
        // The fault suite counts and mirrors its own tasks only.
        SEED_DEMO_TASKS: 'false',
        DEMO_PASSWORD,
        ...env,
      },
      // Into a file: a pipe nobody drains would block the stack once full.
      stdio: ['ignore', out, out],
    }).proc;
    fs.closeSync(out);
    const output = () => fs.readFileSync(outputFile, 'utf8');
    try {
      await until(
        'the cluster to print "is running at"',
        () => {
          if (bootstrap.exitCode !== null || bootstrap.signalCode !== null)
            throw new Error(`npm run cluster exited (${bootstrap.exitCode ?? bootstrap.signalCode}) before it was running`);
          return output().includes('is running at');
        },
        240_000,
        200,
      );
    } catch (err) {
      bootstrap.kill('SIGINT');
      throw new Error(`${(err as Error).message}\n--- output (${outputFile}) ---\n${output().slice(-4000)}`);
    }
    const stackFile = readStackState(dataDir);
    if (!stackFile) throw new Error(`npm run cluster is running but wrote no stack.json in ${dataDir}`);
    const secrets = JSON.parse(fs.readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as Secrets;
    const cluster = new Cluster(dataDir, bootstrap, stackFile, secrets, outputFile);
    cluster.processes();
    return cluster;
  }

  get output(): string {
    return fs.readFileSync(this.outputFile, 'utf8');
  }

  get webhookSecret(): string {
    return this.secrets.githubWebhookSecret;
  }

  get postgresPort(): number {
    return this.stackFile.postgres?.port ?? Number(/-p\0?(\d+)/.exec(cmdline(this.find('postgres').pid).join('\0'))?.[1]);
  }

  get redisPort(): number {
    return this.stackFile.redis?.port ?? this.find('redis').port!;
  }

  get databaseUrl(): string {
    return `postgres://postgres:${encodeURIComponent(this.secrets.pgPassword)}@127.0.0.1:${this.postgresPort}/taskflow`;
  }

  /** The stack's processes right now: the supervisor's children, and services this harness restarted. */
  processes(): ClusterProcess[] {
    const found: ClusterProcess[] = [];
    for (const pid of childrenOf(this.stackFile.supervisorPid)) {
      const cmd = cmdline(pid);
      const joined = cmd.join(' ');
      if (joined.includes('apps/server/src/main.ts')) {
        const env = environ(pid);
        found.push({ role: 'node', name: env.NODE_ID ?? `node-${pid}`, pid, port: Number(env.PORT) });
      } else if (joined.includes('apps/worker/src/main.ts')) {
        found.push({ role: 'worker', name: environ(pid).NODE_ID ?? `worker-${pid}`, pid });
      } else if (/(^|\/)haproxy$/.test(cmd[0] ?? '')) found.push({ role: 'haproxy', name: 'haproxy', pid });
      else if (/(^|\/)postgres$/.test(cmd[0] ?? ''))
        found.push({ role: 'postgres', name: 'postgres', pid, port: this.stackFile.postgres?.port });
      else if (/redis-server/.test(cmd[0] ?? '')) {
        // redis-server titles itself `redis-server <host>:<port> [cluster]`.
        const port = Number(/:(\d+)/.exec(joined)?.[1]);
        const clusterNode = this.stackFile.redisCluster?.some((n) => n.port === port);
        found.push({
          role: 'redis',
          name: clusterNode ? `redis-${port}` : 'redis',
          pid,
          port: clusterNode ? port : this.stackFile.redis?.port,
        });
      }
    }
    if (this.ownPostgres && isRunning(this.ownPostgres.pid))
      found.push({ role: 'postgres', name: 'postgres', pid: this.ownPostgres.pid, port: this.ownPostgres.port });
    if (this.ownRedis && isRunning(this.ownRedis.pid))
      found.push({ role: 'redis', name: 'redis', pid: this.ownRedis.pid, port: this.ownRedis.port });
    for (const node of this.ownClusterNodes)
      if (isRunning(node.pid)) found.push({ role: 'redis', name: `redis-${node.port}`, pid: node.pid, port: node.port });
    for (const p of found) this.seen.set(p.pid, p);
    return found.sort((a, b) => `${a.role}${a.name}`.localeCompare(`${b.role}${b.name}`));
  }

  find(role: Role, name: string = role): ClusterProcess {
    const hit = this.processes().find((p) => p.role === role && p.name === name);
    if (!hit) throw new Error(`no ${name} (${role}) is running; running: ${this.describe()}`);
    return hit;
  }

  describe(list = this.processes()): string {
    return list.map((p) => `${p.name}:${p.pid}`).join(' ');
  }

  /**
   * What changed since `before`: every process must still run with the same pid,
   * except those in `killed`, which must have been replaced (same name, new pid).
   */
  survivors(before: ClusterProcess[], killed: Array<{ role: Role; name: string }> = [], ignore: Role[] = []): string[] {
    before = before.filter((p) => !ignore.includes(p.role));
    const now = this.processes().filter((p) => !ignore.includes(p.role));
    const problems: string[] = [];
    for (const p of before) {
      const wasKilled = killed.some((k) => k.role === p.role && k.name === p.name);
      const current = now.filter((n) => n.role === p.role && n.name === p.name);
      if (wasKilled) {
        if (!current.some((c) => c.pid !== p.pid)) problems.push(`${p.name} (pid ${p.pid}) was killed and not replaced`);
      } else if (!current.some((c) => c.pid === p.pid)) {
        problems.push(`${p.name} (pid ${p.pid}) exited${current.length ? ` (now pid ${current.map((c) => c.pid).join(', ')})` : ''}`);
      }
    }
    for (const p of now)
      if (!before.some((b) => b.role === p.role && b.name === p.name)) problems.push(`unexpected new process ${p.name} (pid ${p.pid})`);
    return problems;
  }

  /**
   * `npm run cluster:ctl` without the CLI: a request to the supervisor's control socket; answers its
   * final NDJSON line (`{ ok, … }`).
   */
  control(method: 'GET' | 'POST', route: string, body?: object): Promise<{ ok: boolean; [k: string]: any }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: path.join(this.dataDir, 'control.sock'), method, path: route, timeout: 120_000 }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          try {
            resolve(JSON.parse(text.trim().split('\n').at(-1) ?? '{}'));
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('error', reject);
      req.end(body ? JSON.stringify(body) : undefined);
    });
  }

  /** SIGSTOPs the postmaster and all its children (backends included) for `ms`, then SIGCONTs them. */
  async stallPostgres(ms: number): Promise<void> {
    const tree = processTree(this.find('postgres').pid);
    signal(tree, 'SIGSTOP');
    await sleep(ms);
    signal(tree, 'SIGCONT');
  }

  /**
   * Fast shutdown (SIGINT: open transactions roll back, clients are cut off), `downMs` away, then the very
   * same postmaster command line (binary, data directory, port, settings) started again as the same user.
   */
  async restartPostgres(downMs: number): Promise<void> {
    const port = this.postgresPort;
    const old = this.find('postgres');
    const command = cmdline(old.pid);
    const user = owner(old.pid);
    signal([old.pid], 'SIGINT');
    await until('PostgreSQL to shut down', () => !isRunning(old.pid), 30_000);
    await sleep(downMs);
    const log = fs.openSync(path.join(this.dataDir, 'logs', 'postgres.log'), 'a');
    // For the tests after this one too: it ends with the file at the latest.
    const child = spawnTestProcess(command[0]!, command.slice(1), {
      name: 'restarted postgres',
      deadlineMs: 60 * 60_000,
      scope: 'suite',
      stdio: ['ignore', log, log],
      ...user,
    }).proc;
    fs.closeSync(log);
    this.ownPostgres = { pid: child.pid!, port, child };
    await until(
      'PostgreSQL to accept connections again',
      async () => {
        const client = new pg.Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 1000 });
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } catch {
          return false;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      30_000,
      200,
    );
  }

  async stallRedis(ms: number): Promise<void> {
    const pid = this.find('redis').pid;
    signal([pid], 'SIGSTOP');
    await sleep(ms);
    signal([pid], 'SIGCONT');
  }

  /** SIGTERM (Redis writes its AOF and exits), `downMs` away, then redis-server again with the stack's arguments, port and data. */
  async restartRedis(downMs: number): Promise<void> {
    const port = this.redisPort;
    const old = this.find('redis');
    signal([old.pid], 'SIGTERM');
    await until('Redis to shut down', () => !isRunning(old.pid), 15_000);
    await sleep(downMs);
    this.ownRedis = await startRedis({
      dataDir: path.join(this.dataDir, 'redis'),
      port,
      // The stack's own password: the nodes and workers reconnect with the URL they were given.
      password: this.secrets.redisPassword,
      logFile: path.join(this.dataDir, 'logs', 'redis.log'),
    });
  }

  /** A small pool on the stack's database (for reading the committed state); survives PostgreSQL restarts. */
  db(): pg.Pool {
    if (!this.pool) {
      this.pool = new pg.Pool({ connectionString: this.databaseUrl, max: 3, connectionTimeoutMillis: 5000 });
      // Idle clients cut off by a PostgreSQL restart must not crash the test process.
      this.pool.on('error', () => undefined);
    }
    return this.pool;
  }

  redis(): Redis | RedisCluster {
    if (!this.redisClient) {
      this.redisClient = this.clusterNodes
        ? new RedisCluster(this.clusterNodes, { redisOptions: { password: this.secrets.redisPassword, maxRetriesPerRequest: 1 } })
        : new Redis(this.redisUrlForTests(), { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false });
      this.redisClient.on('error', () => undefined);
    }
    return this.redisClient;
  }

  /** `REDIS_MODE=cluster`: the stack's private Redis Cluster's nodes (masters and replicas), else undefined. */
  get clusterNodes(): RedisClusterNode[] | undefined {
    return this.stackFile.redisCluster?.map((n) => ({ host: '127.0.0.1', port: n.port }));
  }

  /** The Redis Cluster's masters that serve slots now. */
  redisMasters(): Promise<RedisClusterNodeView[]> {
    return clusterMasters(this.requireCluster(), this.secrets.redisPassword);
  }

  /** Connections subscribed (SSUBSCRIBE) to a sharded channel, over every master. */
  async shardSubscribers(channel: string): Promise<number> {
    const client = this.redis();
    if (!(client instanceof RedisCluster)) throw new Error('sharded channels need a Redis Cluster (REDIS_MODE=cluster)');
    // Which nodes are masters now (a failover or a reshard may have happened since this client last looked).
    await new Promise<void>((resolve) => client.refreshSlotsCache(() => resolve()));
    const counts = await Promise.all(
      client.nodes('master').map(async (m) => Number(((await m.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1])),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** The Redis Cluster master that serves `key`'s slot now. */
  async redisMasterOf(key: string): Promise<RedisClusterNodeView> {
    const slot = Number(await this.redis().call('CLUSTER', 'KEYSLOT', key));
    return masterOfSlot(this.requireCluster(), this.secrets.redisPassword, slot);
  }

  /**
   * SIGKILLs a Redis Cluster master; resolves once its replica took over and the node runs again (its own data
   * directory and nodes.conf: it rejoins as a replica of the promoted one), with how long the takeover took.
   */
  async killRedisMaster(port: number): Promise<{ takeoverMs: number }> {
    const nodes = this.requireCluster();
    const victim = this.find('redis', `redis-${port}`);
    const killedAt = Date.now();
    signal([victim.pid], 'SIGKILL');
    await waitForTakeover(
      nodes.filter((n) => n.port !== port),
      this.secrets.redisPassword,
      port,
    );
    const takeoverMs = Date.now() - killedAt;
    const dir = path.join(this.dataDir, 'redis-cluster', `node-${port}`);
    this.ownClusterNodes.push(
      await startRedis({
        dataDir: dir,
        port,
        password: this.secrets.redisPassword,
        logFile: path.join(dir, 'redis.log'),
        cluster: { nodeTimeoutMs: 2000 },
      }),
    );
    return { takeoverMs };
  }

  /** `redis-cli --cluster reshard`: moves the lowest `slots` slots of master `from` to master `to`, during whatever runs. */
  async reshardRedis(from: number, to: number, slots: number): Promise<{ slots: number; tookMs: number }> {
    const started = Date.now();
    const moved = await reshardRedisCluster({
      nodes: this.requireCluster(),
      password: this.secrets.redisPassword,
      from: { host: '127.0.0.1', port: from },
      to: { host: '127.0.0.1', port: to },
      slots,
      logFile: path.join(this.dataDir, 'logs', 'reshard.log'),
    });
    return { ...moved, tookMs: Date.now() - started };
  }

  private requireCluster(): RedisClusterNode[] {
    const nodes = this.clusterNodes;
    if (!nodes) throw new Error('this stack runs one Redis, not a Redis Cluster (REDIS_MODE=cluster)');
    return nodes;
  }

  private redisUrlForTests(): string {
    return localRedisUrl(this.redisPort, this.secrets.redisPassword);
  }

  /** Jobs BullMQ holds as failed, per queue: parked work that an operator would have to replay. */
  async failedJobs(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    // On a Redis Cluster the queues' keys share one hash tag (one slot).
    const prefix = this.clusterNodes ? '{taskflow}' : 'taskflow';
    for (const queue of Object.values(QUEUES)) counts[queue] = await this.redis().zcard(`${prefix}:${queue}:failed`);
    return counts;
  }

  /**
   * Ctrl-C, as a user stops it: waits for the command to exit, stops what this
   * harness restarted itself, and answers what is still running (must be nothing).
   */
  async stop(opts: { keepData?: boolean } = {}): Promise<{ exitCode: number | null; leftovers: string[]; tookMs: number }> {
    clearInterval(this.poller);
    this.processes();
    const started = Date.now();
    await this.pool?.end().catch(() => undefined);
    this.redisClient?.disconnect();
    const exited = new Promise<number | null>((resolve) => {
      if (this.bootstrap.exitCode !== null || this.bootstrap.signalCode !== null) resolve(this.bootstrap.exitCode);
      else this.bootstrap.once('exit', (code) => resolve(code));
    });
    this.bootstrap.kill('SIGINT');
    const exitCode = await Promise.race([exited, sleep(60_000).then(() => 'timeout' as const)]);
    if (this.ownPostgres && isRunning(this.ownPostgres.pid)) {
      const pgPid = this.ownPostgres.pid;
      signal([pgPid], 'SIGINT');
      await until('the restarted PostgreSQL to stop', () => !isRunning(pgPid), 30_000).catch(() => undefined);
    }
    await this.ownRedis?.stop();
    for (const node of this.ownClusterNodes) await node.stop();
    const everything = new Set<number>([...this.seen.keys(), ...this.stackFile.pids, this.stackFile.supervisorPid]);
    // Give PostgreSQL backends a moment to notice their postmaster is gone.
    await until('every process of the stack to exit', () => [...everything].every((pid) => !isRunning(pid)), 10_000).catch(() => undefined);
    const leftovers = [...everything]
      .filter(isRunning)
      .map((pid) => `${this.seen.get(pid)?.name ?? 'process'} ${pid}: ${cmdline(pid).join(' ').slice(0, 120)}`);
    if (exitCode === 'timeout') {
      for (const pid of everything) signal(processTree(pid), 'SIGKILL');
      leftovers.unshift('npm run cluster did not exit within 60 s of Ctrl-C');
    }
    if (!opts.keepData && leftovers.length === 0) {
      // As root the database lives outside the data directory, which holds a link to it.
      const link = path.join(this.dataDir, 'postgres');
      if (fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink())
        fs.rmSync(path.dirname(fs.realpathSync(link)), { recursive: true, force: true });
      fs.rmSync(this.dataDir, { recursive: true, force: true });
    }
    return { exitCode: exitCode === 'timeout' ? null : exitCode, leftovers, tookMs: Date.now() - started };
  }
}
