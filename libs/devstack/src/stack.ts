import fs from 'node:fs';
import path from 'node:path';
import { createDb, migrateToLatest, seedDemo } from '@taskflow/store';
import { startChild, stopChild, type Child } from './child';
import { REPO_ROOT, type StackEnv } from './config';
import { haproxyConfig, startHaproxy } from './haproxy';
import { freePort, waitFor } from './net';
import { loadOrCreateSecrets } from './secrets';
import { startServices, type Services } from './services';
import { ensureWebBuilt } from './web-build';

/** Runs a TypeScript entry point of the repo with workspace packages resolved to their sources. */
export function nodeTsArgs(entry: string): string[] {
  return ['--conditions=taskflow-source', '--import', 'tsx', path.join(REPO_ROOT, entry)];
}

export interface Topology {
  /** Server nodes; with more than one (or `haproxy`), HAProxy listens on PORT in front of them. */
  nodes: number;
  workers: number;
  haproxy: boolean;
}

export interface RunningStack {
  url: string;
  services: Services;
  nodes: Child[];
  /** Each server node's own port (behind HAProxy when there is one). */
  nodePorts: number[];
  workers: Child[];
  /** The environment every app process got (database, Redis, secrets…). */
  appEnv: NodeJS.ProcessEnv;
  webhookSecret: string;
  /** Starts one more worker (tests replace killed ones with it). */
  addWorker(): Child;
  /** Resolves when an app process exits while nobody asked it to (a crash); never on a normal stop. */
  crashed: Promise<Child>;
  stop(): Promise<void>;
}

const SERVER_ENTRY = 'apps/server/src/main.ts';
const WORKER_ENTRY = 'apps/worker/src/main.ts';

/**
 * The product on one machine: services, migrations, demo data, server node(s),
 * worker(s) and, for a cluster, HAProxy in front of the nodes.
 */
export async function startStack(env: StackEnv, log: (line: string) => void, topology: Topology = { nodes: 1, workers: 1, haproxy: false }): Promise<RunningStack> {
  fs.mkdirSync(env.DATA_DIR, { recursive: true });
  ensureWebBuilt(log);
  const secrets = loadOrCreateSecrets(env.DATA_DIR);
  const services = await startServices({
    dataDir: env.DATA_DIR,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    pgPassword: secrets.pgPassword,
    log,
  });
  const nodes: Child[] = [];
  const workers: Child[] = [];
  let haproxy: ReturnType<typeof startHaproxy> | undefined;
  let stopping: Promise<void> | undefined;
  let onCrash: (c: Child) => void = () => undefined;
  const crashed = new Promise<Child>((resolve) => (onCrash = resolve));
  const stop = () =>
    (stopping ??= (async () => {
      // App nodes first (they drain and close their connections), then the services they use.
      await Promise.all([...nodes, ...workers].map((c) => stopChild(c, 'SIGTERM', 15_000)));
      await haproxy?.stop();
      await services.stop();
      fs.rmSync(path.join(env.DATA_DIR, 'stack.json'), { force: true });
    })());
  try {
    await prepareDatabase(services.databaseUrl, env, log);
    const host = env.HOST === '0.0.0.0' ? 'localhost' : env.HOST;
    const url = `http://${host}:${env.PORT}`;
    const behindProxy = topology.haproxy || topology.nodes > 1;
    const webhookSecret = process.env.GITHUB_WEBHOOK_SECRET || secrets.githubWebhookSecret;
    const appEnv: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: services.databaseUrl,
      REDIS_URL: services.redisUrl,
      HOST: env.HOST,
      JWT_SECRET: env.JWT_SECRET ?? secrets.jwtSecret,
      GITHUB_WEBHOOK_SECRET: webhookSecret,
      APP_URL: process.env.APP_URL || url,
      WEBSOCKET_CORS_ORIGIN: process.env.WEBSOCKET_CORS_ORIGIN || `${url},http://127.0.0.1:${env.PORT},http://localhost:${env.PORT}`,
      LOG_LEVEL: env.LOG_LEVEL,
      // Behind HAProxy a draining node fails readiness for two health checks before closing its sockets.
      ...(behindProxy ? { DRAIN_DELAY_MS: process.env.DRAIN_DELAY_MS || '2500' } : {}),
    };
    const spawnApp = (name: string, entry: string, extra: NodeJS.ProcessEnv) => {
      // The IPC channel lets an app notice when this supervisor dies and stop with it.
      const child = startChild(name, process.execPath, nodeTsArgs(entry), { env: { ...appEnv, ...extra }, stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
      void child.exited.then(() => !stopping && onCrash(child));
      return child;
    };
    const nodePorts = behindProxy ? await Promise.all(Array.from({ length: topology.nodes }, () => freePort())) : [env.PORT];
    nodePorts.forEach((port, i) => nodes.push(spawnApp(`server-${i + 1}`, SERVER_ENTRY, { PORT: String(port), NODE_ID: `server-${i + 1}` })));
    let workerCount = 0;
    const addWorker = () => {
      workerCount += 1;
      const child = spawnApp(`worker-${workerCount}`, WORKER_ENTRY, { NODE_ID: `worker-${workerCount}` });
      workers.push(child);
      return child;
    };
    for (let i = 0; i < topology.workers; i++) addWorker();
    if (behindProxy) {
      haproxy = startHaproxy({
        configFile: path.join(env.DATA_DIR, 'haproxy.cfg'),
        config: haproxyConfig({ port: env.PORT, nodes: nodePorts.map((port, i) => ({ name: `server-${i + 1}`, port })) }),
        logFile: path.join(env.DATA_DIR, 'logs', 'haproxy.log'),
      });
      void haproxy.exited.then(() => !stopping && onCrash(haproxy!));
    }
    for (const port of nodePorts) {
      await waitFor(`the server on port ${port}`, async () => {
        if ([...nodes, ...workers].some((c) => c.process.exitCode !== null)) throw new Error('an app process exited during start-up');
        return (await fetch(`http://127.0.0.1:${port}/api/ready`).catch(() => undefined))?.ok || undefined;
      }, 120_000);
    }
    await waitFor(`the stack on ${url}`, async () => (await fetch(`${url}/api/ready`).catch(() => undefined))?.ok || undefined, 30_000);
    if (haproxy) {
      // Until HAProxy's checks mark every node up, all traffic would land on the first one. A request
      // carrying a node's sticky cookie is answered by that node, with no new cookie, only once it is up.
      for (let i = 1; i <= nodePorts.length; i++) {
        await waitFor(`HAProxy to route to server-${i}`, async () => {
          const res = await fetch(`${url}/api/ready`, { headers: { cookie: `tfnode=server-${i}` } }).catch(() => undefined);
          return (res?.ok && !res.headers.get('set-cookie')) || undefined;
        }, 30_000);
      }
    }
    fs.writeFileSync(
      path.join(env.DATA_DIR, 'stack.json'),
      JSON.stringify({
        url,
        supervisorPid: process.pid,
        pids: [...nodes, ...workers, ...(haproxy ? [haproxy] : [])].map((c) => c.process.pid).concat([services.embeddedPostgres?.pid, services.embeddedRedis?.pid].filter((p): p is number => Boolean(p)) as number[]),
        // Which pid is which and where it listens: fault tests stall, kill and restart them one by one.
        nodes: nodes.map((c, i) => ({ name: c.name, pid: c.process.pid, port: nodePorts[i] })),
        workers: workers.map((c) => ({ name: c.name, pid: c.process.pid })),
        haproxy: haproxy ? { pid: haproxy.process.pid } : null,
        postgres: services.embeddedPostgres ? { pid: services.embeddedPostgres.pid, port: services.embeddedPostgres.port } : null,
        redis: services.embeddedRedis ? { pid: services.embeddedRedis.pid, port: services.embeddedRedis.port } : null,
      }),
    );
    return { url, services, nodes, nodePorts, workers, appEnv, webhookSecret, addWorker, crashed, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function prepareDatabase(databaseUrl: string, env: StackEnv, log: (line: string) => void): Promise<void> {
  const db = createDb(databaseUrl, { max: 2, applicationName: 'taskflow-devstack' });
  try {
    const applied = await migrateToLatest(db);
    if (applied.length) log(`applied migrations: ${applied.join(', ')}`);
    // Demo users go only into a database this stack owns, unless asked for explicitly.
    if (env.SEED_DEMO ?? !env.DATABASE_URL) {
      const { created } = await seedDemo(db, env.DEMO_PASSWORD);
      if (created.length) log(`seeded demo users: ${created.join(', ')}`);
    }
  } finally {
    await db.destroy();
  }
}
