import fs from 'node:fs';
import path from 'node:path';
import { createDb, migrateToLatest, seedDemo } from '@taskflow/store';
import { startChild, stopChild, type Child } from './child';
import { REPO_ROOT, type StackEnv } from './config';
import { waitFor } from './net';
import { loadOrCreateSecrets } from './secrets';
import { startServices, type Services } from './services';

/** Runs a TypeScript entry point of the repo with workspace packages resolved to their sources. */
export function nodeTsArgs(entry: string): string[] {
  return ['--conditions=taskflow-source', '--import', 'tsx', path.join(REPO_ROOT, entry)];
}

export interface RunningStack {
  url: string;
  services: Services;
  children: Child[];
  /** Resolves when an app process exits while nobody asked it to (a crash); never on a normal stop. */
  crashed: Promise<Child>;
  stop(): Promise<void>;
}

/** The whole product on one machine: services, migrations, demo data, one server node and one worker. */
export async function startStack(env: StackEnv, log: (line: string) => void): Promise<RunningStack> {
  fs.mkdirSync(env.DATA_DIR, { recursive: true });
  const secrets = loadOrCreateSecrets(env.DATA_DIR);
  const services = await startServices({
    dataDir: env.DATA_DIR,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    pgPassword: secrets.pgPassword,
    log,
  });
  const children: Child[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // App nodes first (they drain and close their connections), then the services they use.
      await Promise.all(children.map((c) => stopChild(c, 'SIGTERM', 15_000)));
      await services.stop();
      fs.rmSync(path.join(env.DATA_DIR, 'stack.json'), { force: true });
    })());
  try {
    const db = createDb(services.databaseUrl, { max: 2, applicationName: 'taskflow-devstack' });
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
    const url = `http://${env.HOST === '0.0.0.0' ? 'localhost' : env.HOST}:${env.PORT}`;
    const appEnv = {
      ...process.env,
      DATABASE_URL: services.databaseUrl,
      REDIS_URL: services.redisUrl,
      PORT: String(env.PORT),
      HOST: env.HOST,
      JWT_SECRET: env.JWT_SECRET ?? secrets.jwtSecret,
      GITHUB_WEBHOOK_SECRET: process.env.GITHUB_WEBHOOK_SECRET || secrets.githubWebhookSecret,
      APP_URL: process.env.APP_URL || url,
      LOG_LEVEL: env.LOG_LEVEL,
    };
    for (const [name, entry] of [
      ['server', 'apps/server/src/main.ts'],
      ['worker', 'apps/worker/src/main.ts'],
    ] as const) {
      // The IPC channel lets an app notice when this supervisor dies and stop with it.
      children.push(startChild(name, process.execPath, nodeTsArgs(entry), { env: appEnv, stdio: ['inherit', 'inherit', 'inherit', 'ipc'] }));
    }
    const crashed = new Promise<Child>((resolve) => {
      for (const c of children) void c.exited.then(() => !stopping && resolve(c));
    });
    await waitFor(`the server on ${url}`, async () => {
      if (children.some((c) => c.process.exitCode !== null)) throw new Error('an app process exited during start-up');
      const res = await fetch(`${url}/api/health`);
      return res.ok || undefined;
    }, 120_000);
    fs.writeFileSync(
      path.join(env.DATA_DIR, 'stack.json'),
      JSON.stringify({
        url,
        supervisorPid: process.pid,
        pids: [...children.map((c) => c.process.pid), services.embeddedPostgres?.pid, services.embeddedRedis?.pid].filter(Boolean),
      }),
    );
    return { url, services, children, crashed, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
