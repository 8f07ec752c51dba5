import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { createDb, migrateToLatest, seedDemo, seedDemoTasks } from '@taskflow/store';
import { AppOutput } from './app-output';
import { startChild, type Child } from './child';
import { REPO_ROOT, type StackEnv } from './config';
import { CONTROL_SOCKET, socketDir, startControlServer } from './control-server';
import { groupMemberPath, haproxyConfig, haproxyLimits, startHaproxyGroup, type Haproxy } from './haproxy';
import { assertPortFree, isAlive, waitFor } from './net';
import type { RestartPolicyOptions } from './restart-policy';
import { loadOrCreateSecrets } from './secrets';
import { startServices, type Services } from './services';
import { stackStateFile, type StackProcess, type StackState } from './stack-state';
import { Supervisor, type Managed } from './supervisor';
import { ensureWebBuilt } from './web-build';

/** Runs a TypeScript entry point of the repo with workspace packages resolved to their sources. */
export function nodeTsArgs(entry: string): string[] {
  return ['--conditions=taskflow-source', '--import', 'tsx', path.join(REPO_ROOT, entry)];
}

/**
 * The same under `tsx watch`: the process restarts when a file it imports changes —
 * its app's sources and, through the source condition, every workspace library's.
 */
export function nodeTsWatchArgs(entry: string): string[] {
  const tsx = path.join(path.dirname(require.resolve('tsx/package.json', { paths: [REPO_ROOT] })), 'dist/cli.mjs');
  return [
    '--require',
    path.join(__dirname, 'watch-guard.cjs'),
    tsx,
    'watch',
    '--clear-screen=false',
    '--conditions=taskflow-source',
    path.join(REPO_ROOT, entry),
  ];
}

export interface StackOptions {
  /** `npm run dev`: apps under `tsx watch`, no web build (Vite serves the app from these origins, proxying to the node). */
  dev?: { webOrigins: string[] };
  /** Seed demo tasks into the demo orgs that have none (`npm start`, `dev`, `cluster`; never test stacks). */
  seedDemoTasks?: boolean;
  /** Where the apps' output is relayed (besides .data/logs): this process's stdout and stderr unless given. */
  terminal?: { stdout: Writable; stderr: Writable };
}

export interface Topology {
  /** Server nodes; with more than one (or `haproxy`), HAProxy listens on PORT in front of them. */
  nodes: number;
  workers: number;
  haproxy: boolean;
  /** HAProxy processes on PORT (LB_PROCESSES; default 1). */
  lbProcesses?: number;
}

export interface RunningStack {
  url: string;
  services: Services;
  /** Keeps the app processes running; scale and rolling restart go through it. */
  supervisor: Supervisor;
  /** The server nodes' current processes (a restarted node has a new one). */
  readonly nodes: Child[];
  /** Each server node's own port (behind HAProxy when there is one). */
  readonly nodePorts: number[];
  /** Each server node's metrics listener, in the same order: GET /health there has its id and socket counts. */
  readonly nodeMetricsPorts: number[];
  readonly workers: Child[];
  /** The environment every app process got (database, Redis, secrets…). */
  appEnv: NodeJS.ProcessEnv;
  webhookSecret: string;
  /** The control endpoint `npm run cluster:ctl` talks to. */
  controlSocket: string;
  stop(): Promise<void>;
}

export const ENTRIES = { node: 'apps/server/src/main.ts', worker: 'apps/worker/src/main.ts' } as const;

/**
 * The product on one machine: services, migrations, demo data, server node(s),
 * worker(s) under a supervisor that restarts them, and, for a cluster, HAProxy
 * in front of the nodes.
 */
export async function startStack(
  env: StackEnv,
  log: (line: string) => void,
  topology: Topology = { nodes: 1, workers: 1, haproxy: false },
  policy?: RestartPolicyOptions,
  options: StackOptions = {},
): Promise<RunningStack> {
  // HAProxy would share a held port (SO_REUSEPORT) rather than fail: refused here, before anything starts.
  if (topology.haproxy || topology.nodes > 1) await assertPortFree(env.PORT);
  fs.mkdirSync(env.DATA_DIR, { recursive: true });
  if (!options.dev) ensureWebBuilt(log);
  const secrets = loadOrCreateSecrets(env.DATA_DIR);
  // What the apps print goes to this terminal and into .data/logs/<process>.log.
  const output = await AppOutput.create({
    logsDir: path.join(env.DATA_DIR, 'logs'),
    pretty: !options.terminal && process.stdout.isTTY === true,
    ...options.terminal,
  });
  let onServiceRestart: () => void = () => undefined;
  const services = await startServices({
    dataDir: env.DATA_DIR,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    redisMode: env.REDIS_MODE,
    pgPassword: secrets.pgPassword,
    redisPassword: secrets.redisPassword,
    log,
    keepRedis: { log, policy, onRestart: () => onServiceRestart() },
  });
  const stateFile = stackStateFile(env.DATA_DIR);
  const sockets = socketDir(env.DATA_DIR);
  const controlSocket = path.join(sockets, CONTROL_SOCKET);
  let haproxy: Haproxy | undefined;
  let supervisor: Supervisor | undefined;
  let control: { close(): Promise<void> } | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await control?.close();
      // App nodes first (they drain and close their connections), then the services they use.
      await supervisor?.stopAll();
      await output.close();
      await haproxy?.stop();
      for (let i = 1; i <= (topology.lbProcesses ?? 1); i++)
        fs.rmSync(groupMemberPath(path.join(sockets, 'haproxy.sock'), i), { force: true });
      await services.stop();
      fs.rmSync(stateFile, { force: true });
    })());
  try {
    await prepareDatabase(services.databaseUrl, env, log, options.seedDemoTasks === true);
    const host = env.HOST === '0.0.0.0' ? 'localhost' : env.HOST;
    const url = `http://${host}:${env.PORT}`;
    const behindProxy = topology.haproxy || topology.nodes > 1;
    const webhookSecret = process.env.GITHUB_WEBHOOK_SECRET || secrets.githubWebhookSecret;
    const appEnv: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: services.databaseUrl,
      REDIS_URL: services.redisUrl,
      // The stack's own Redis Cluster (REDIS_MODE=cluster without REDIS_URL); else what the environment says.
      ...(services.redisClusterNodes ? { REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: services.redisClusterNodes } : {}),
      HOST: env.HOST,
      JWT_SECRET: env.JWT_SECRET ?? secrets.jwtSecret,
      GITHUB_WEBHOOK_SECRET: webhookSecret,
      APP_URL: process.env.APP_URL || options.dev?.webOrigins[0] || url,
      // The dev server's page calls the API and opens its socket with its own Origin (the proxy keeps it).
      WEBSOCKET_CORS_ORIGIN:
        process.env.WEBSOCKET_CORS_ORIGIN ||
        [url, `http://127.0.0.1:${env.PORT}`, `http://localhost:${env.PORT}`, ...(options.dev?.webOrigins ?? [])].join(','),
      LOG_LEVEL: env.LOG_LEVEL,
      // On a terminal, request lines are debug (about 80 % of the lines otherwise); piped, they stay info.
      ...(process.stdout.isTTY && !process.env.REQUEST_LOG_LEVEL ? { REQUEST_LOG_LEVEL: 'debug' } : {}),
      // Behind HAProxy a draining node fails readiness for two health checks before closing its sockets.
      ...(behindProxy ? { DRAIN_DELAY_MS: process.env.DRAIN_DELAY_MS || '2500' } : {}),
      // HAProxy (on loopback) is the only proxy there is; without it every local client connects directly, and
      // believing loopback's X-Forwarded-For would let any of them pick a new address per login attempt.
      TRUSTED_PROXIES: process.env.TRUSTED_PROXIES || (behindProxy ? 'loopback' : 'none'),
    };
    if (behindProxy) {
      const statsSocket = path.join(sockets, 'haproxy.sock');
      const limits = haproxyLimits();
      if (limits.cappedBy)
        log(
          `haproxy: maxconn ${limits.maxconn} (this machine's hard descriptor limit is ${limits.cappedBy} and cannot be raised; two descriptors per connection)`,
        );
      const haproxyLog = path.join(env.DATA_DIR, 'logs', 'haproxy.log');
      haproxy = startHaproxyGroup({
        processes: topology.lbProcesses ?? 1,
        configFile: path.join(env.DATA_DIR, 'haproxy.cfg'),
        config: (memberSocket) => haproxyConfig({ port: env.PORT, statsSocket: memberSocket, limits }),
        logFile: haproxyLog,
        statsSocket,
      });
      void haproxy.exited.then(
        (code) =>
          !stopping &&
          log(
            `haproxy exited unexpectedly (code ${code}): the stack has no entry point; press Ctrl-C and start it again. Its last lines (${haproxyLog}):\n${logTail(haproxyLog)}`,
          ),
      );
      await waitFor("HAProxy's runtime API", async () => (await haproxy!.command('show info').catch(() => undefined)) || undefined, 15_000);
    }
    const writeState = () => {
      if (stopping || !supervisor) return;
      const live = supervisor.processes
        .map((m) => m.child)
        .filter((c): c is Child => Boolean(c && c.process.exitCode === null && c.process.signalCode === null));
      const redisCluster = services.embeddedRedisCluster?.processes() ?? null;
      const servicePids = [
        services.embeddedPostgres?.pid,
        services.embeddedRedis?.pid,
        ...(redisCluster?.map((n) => n.pid).filter(isAlive) ?? []),
      ].filter((p): p is number => Boolean(p));
      const entry = (m: Managed): StackProcess => ({
        name: m.name,
        pid: m.child?.process.pid ?? null,
        ...(m.port ? { port: m.port } : {}),
        ...(m.metricsPort ? { metricsPort: m.metricsPort } : {}),
        state: m.state,
      });
      // Whole or not at all: readers (cluster:ctl, npm run jobs, the bench) poll it while nodes restart, and a file
      // rewritten in place can be read half-written.
      fs.writeFileSync(
        `${stateFile}.tmp`,
        JSON.stringify({
          url,
          supervisorPid: process.pid,
          control: controlSocket,
          pids: [...live.map((c) => c.process.pid!), ...(haproxy?.pids().filter(isAlive) ?? []), ...servicePids],
          // Which pid is which and where it listens (rewritten whenever the supervisor starts or loses a process).
          nodes: supervisor.nodes.map(entry),
          workers: supervisor.workers.map(entry),
          haproxy: haproxy ? { pid: haproxy.process.pid, pids: haproxy.pids() } : null,
          postgres: services.embeddedPostgres ? { pid: services.embeddedPostgres.pid, port: services.embeddedPostgres.port } : null,
          redis: services.embeddedRedis ? { pid: services.embeddedRedis.pid, port: services.embeddedRedis.port } : null,
          redisCluster,
        } satisfies StackState),
      );
      fs.renameSync(`${stateFile}.tmp`, stateFile);
    };
    supervisor = new Supervisor({
      url,
      log,
      haproxy,
      fixedPort: behindProxy ? undefined : env.PORT,
      policy,
      onChange: writeState,
      // apps/worker says when its queues are connected; under `tsx watch` (dev) its messages do not reach us.
      workersSayReady: !options.dev,
      // The IPC channel lets an app notice when this supervisor dies and stop with it.
      spawn: (name, kind, extra) => {
        const child = startChild(name, process.execPath, (options.dev ? nodeTsWatchArgs : nodeTsArgs)(ENTRIES[kind]), {
          env: { ...appEnv, ...extra },
          stdio: [options.dev ? 'ignore' : 'inherit', 'pipe', 'pipe', 'ipc'],
          detached: Boolean(options.dev),
        });
        output.attach(name, child.process);
        return child;
      },
    });
    onServiceRestart = writeState;
    const sup = supervisor;
    for (let i = 0; i < topology.workers; i++) sup.addWorker();
    await Promise.all(Array.from({ length: topology.nodes }, () => sup.addNode()));
    await waitFor(`the stack on ${url}`, async () => (await fetch(`${url}/api/ready`).catch(() => undefined))?.ok || undefined, 30_000);
    control = startControlServer({ socketPath: controlSocket, supervisor: sup, url, log });
    writeState();
    const current = <T>(pick: (m: Managed) => T | undefined, list: () => Managed[]) =>
      list()
        .map(pick)
        .filter((v): v is T => v !== undefined);
    return {
      url,
      services,
      supervisor: sup,
      get nodes() {
        return current(
          (m) => m.child,
          () => sup.nodes,
        );
      },
      get nodePorts() {
        return current(
          (m) => m.port,
          () => sup.nodes,
        );
      },
      get nodeMetricsPorts() {
        return current(
          (m) => m.metricsPort,
          () => sup.nodes,
        );
      },
      get workers() {
        return current(
          (m) => m.child,
          () => sup.workers,
        );
      },
      appEnv,
      webhookSecret,
      controlSocket,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function prepareDatabase(databaseUrl: string, env: StackEnv, log: (line: string) => void, seedTasks: boolean): Promise<void> {
  const db = createDb(databaseUrl, { max: 2, applicationName: 'taskflow-devstack' });
  try {
    const applied = await migrateToLatest(db);
    if (applied.length) log(`applied migrations: ${applied.join(', ')}`);
    // Demo users go only into a database this stack owns, unless asked for explicitly.
    if (env.SEED_DEMO ?? !env.DATABASE_URL) {
      const { created } = await seedDemo(db, env.DEMO_PASSWORD);
      if (created.length) log(`seeded demo users: ${created.join(', ')}`);
      if (seedTasks) {
        // Each org's in its own default repository (seedDemo registered the demo orgs' repositories).
        const seeded = await seedDemoTasks(db);
        const counts = Object.entries(seeded).map(([org, count]) => `${count} in ${org}`);
        if (counts.length) log(`seeded demo tasks: ${counts.join(', ')}`);
      }
    }
  } finally {
    await db.destroy();
  }
}

/** The last lines of a log file (what a process that died at start said), or a note that there is none. */
function logTail(file: string, lines = 10): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
