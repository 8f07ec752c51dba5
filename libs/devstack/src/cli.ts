import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, onStopSignals } from '@taskflow/platform';
import { DEMO_ORGS, DEMO_USERS } from '@taskflow/store';
import { plural } from './cluster-status';
import { loadStackEnv, REPO_ROOT, type StackEnv } from './config';
import { startCpuHog } from './cpu-hog';
import { checkLeftovers } from './leftovers';
import { loadOrCreateSecrets } from './secrets';
import { startServices } from './services';
import { startStack, type Topology } from './stack';
import { ensureWebBuilt } from './web-build';
import { startWebDevServer, webDevOrigins, type WebDevServer } from './web-dev-server';

/**
 * The local stack's command line, started by infra/local/bootstrap.mjs once
 * dependencies are installed:
 *   start     the whole product (services, migrations, demo users, server, worker)
 *   dev       the same for development: server and worker restart on change, Vite's dev server in front
 *   cluster   the same with HAProxy in front of NODES server nodes, and WORKERS workers
 *   services  only PostgreSQL and Redis, printing their URLs (for running tests by hand)
 *   test      services for tests, then every project's typecheck, lint and tests
 */
const log = (line: string) => console.log(`[stack] ${line}`);

/** Waits for SIGINT/SIGTERM, then runs `stop`; a later second signal exits at once. */
function untilSignal(stop: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    onStopSignals(
      (reason) => {
        log(`${reason}: stopping…`);
        stop().then(
          () => resolve(0),
          (err) => {
            console.error(err);
            resolve(1);
          },
        );
      },
      (signal) => {
        log(`${signal} again: exiting now`);
        process.exit(130);
      },
    );
  });
}

async function start(env: StackEnv, _args: string[]): Promise<number> {
  return run(env, { nodes: 1, workers: 1, haproxy: false });
}

async function cluster(env: StackEnv, _args: string[]): Promise<number> {
  return run(env, { nodes: env.NODES, workers: env.WORKERS, haproxy: true, lbProcesses: env.LB_PROCESSES });
}

/** The demo logins as the store seeds them: `alice, bob, admin (role admin), ops (role operator) in org acme; carol in org globex`. */
function demoUsers(): string {
  return DEMO_ORGS.map((org) => {
    const users = DEMO_USERS.filter((u) => u.org === org.slug).map((u) => ('role' in u ? `${u.username} (role ${u.role})` : u.username));
    return `${users.join(', ')} in org ${org.slug}`;
  }).join('; ');
}

async function run(env: StackEnv, topology: Topology): Promise<number> {
  const started = Date.now();
  const stack = await startStack(env, log, topology, undefined, { seedDemoTasks: env.SEED_DEMO_TASKS });
  const external = [env.DATABASE_URL && 'PostgreSQL', env.REDIS_URL && 'Redis'].filter(Boolean).join(' and ');
  console.log(
    [
      '',
      `  Taskflow Live is running at ${stack.url}   (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
      topology.haproxy ? `  Cluster: HAProxy → ${plural(topology.nodes, 'server node')}, ${plural(topology.workers, 'worker')}` : null,
      (env.SEED_DEMO ?? !env.DATABASE_URL)
        ? `  Demo users: ${demoUsers()}; password "${env.DEMO_PASSWORD}"`
        : '  Demo users were not seeded (external database; set SEED_DEMO=true to seed them).',
      external ? `  Using external ${external}.` : `  Data: ${env.DATA_DIR}`,
      '  Control it: npm run cluster:ctl -- status | scale --nodes N --workers M | restart',
      '  Press Ctrl-C to stop.',
      '',
    ]
      .filter((line) => line !== null)
      .join('\n'),
  );
  // The supervisor restarts app processes that exit; only a signal stops the stack.
  return untilSignal(stack.stop);
}

/** Development: the stack with its apps under `tsx watch`, and Vite (hot reload) proxying to the node. */
async function dev(env: StackEnv, _args: string[]): Promise<number> {
  const started = Date.now();
  const webOrigins = webDevOrigins(env.HOST, env.WEB_DEV_PORT);
  const stack = await startStack(env, log, { nodes: 1, workers: 1, haproxy: false }, undefined, {
    dev: { webOrigins },
    seedDemoTasks: env.SEED_DEMO_TASKS,
  });
  let web: WebDevServer;
  try {
    web = await startWebDevServer({ host: env.HOST, port: env.WEB_DEV_PORT, apiUrl: stack.url, log });
  } catch (err) {
    await stack.stop();
    throw err;
  }
  console.log(
    [
      '',
      `  Taskflow Live (development) is running at ${web.url}   (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
      `  Vite serves the web app with hot reload; /api and /socket.io go to the server node on ${stack.url}.`,
      "  The server and the worker restart when their sources or a library's change.",
      (env.SEED_DEMO ?? !env.DATABASE_URL)
        ? `  Demo users: ${demoUsers()}; password "${env.DEMO_PASSWORD}"`
        : '  Demo users were not seeded (external database).',
      '  Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  return untilSignal(async () => {
    await web.stop();
    await stack.stop();
  });
}

async function services(env: StackEnv, _args: string[]): Promise<number> {
  const secrets = loadOrCreateSecrets(env.DATA_DIR);
  const svc = await startServices({
    dataDir: env.DATA_DIR,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    pgPassword: secrets.pgPassword,
    redisPassword: secrets.redisPassword,
    log,
  });
  console.log(
    `\nDATABASE_URL=${svc.databaseUrl}\nTEST_DATABASE_URL=${svc.adminDatabaseUrl ?? svc.databaseUrl}\nREDIS_URL=${svc.redisUrl}\nTEST_REDIS_URL=${svc.redisUrl}\n\nPress Ctrl-C to stop.`,
  );
  return untilSignal(svc.stop);
}

/** Adds up the per-project counts the Jest summary reporter wrote. */
function printTotals(reportDir: string): void {
  if (!fs.existsSync(reportDir)) return;
  const totals = { passed: 0, failed: 0, skipped: 0, projects: 0 };
  const failures: string[] = [];
  for (const file of fs.readdirSync(reportDir)) {
    const r = JSON.parse(fs.readFileSync(path.join(reportDir, file), 'utf8')) as typeof totals & { failures?: string[] };
    totals.passed += r.passed;
    totals.failed += r.failed;
    totals.skipped += r.skipped;
    totals.projects += 1;
    failures.push(...(r.failures ?? []));
  }
  console.log(`\nTests across ${totals.projects} projects:`);
  console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  if (failures.length) console.log(`Failed:\n${failures.map((f) => `  ✕ ${f}`).join('\n')}`);
}

async function test(env: StackEnv, args: string[]): Promise<number> {
  const dataDir = path.join(env.DATA_DIR, 'test');
  const reportDir = path.join(dataDir, 'results');
  fs.rmSync(reportDir, { recursive: true, force: true });
  // Once, before the suites that start stacks in parallel.
  ensureWebBuilt(log);
  const secrets = loadOrCreateSecrets(dataDir);
  const svc = await startServices({
    dataDir,
    databaseUrl: env.TEST_DATABASE_URL,
    redisUrl: env.TEST_REDIS_URL,
    pgPassword: secrets.pgPassword,
    redisPassword: secrets.redisPassword,
    database: 'postgres',
    fast: true,
    log,
  });
  // TEST_LOAD=N: the whole run on a machine busy with something else (N cores kept busy throughout).
  const hog = env.TEST_LOAD > 0 ? startCpuHog(env.TEST_LOAD, 90 * 60_000) : undefined;
  if (hog)
    log(
      `TEST_LOAD=${env.TEST_LOAD}: busy-loop process(es) keep ${env.TEST_LOAD} core(s) busy until the tests end (pid ${hog.pids.join(', ')})`,
    );
  const nx = spawn(
    path.join(REPO_ROOT, 'node_modules/.bin/nx'),
    // The full suite always runs for real: results cached by `npm run test:unit`, `lint` or `typecheck` are for development.
    ['run-many', '-t', 'typecheck', 'lint', 'test', '--outputStyle=static', '--skip-nx-cache', ...args],
    {
      cwd: REPO_ROOT,
      stdio: 'inherit',
      env: {
        ...process.env,
        TEST_DATABASE_URL: svc.adminDatabaseUrl ?? svc.databaseUrl,
        TEST_REDIS_URL: svc.redisUrl,
        TASKFLOW_TEST_REPORT_DIR: reportDir,
        NX_DAEMON: 'false',
        NX_NO_CLOUD: 'true',
        NX_TUI: 'false',
      },
    },
  );
  const forward = (signal: NodeJS.Signals) => nx.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise<number>((resolve) => nx.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
  await hog?.stop();
  await svc.stop();
  printTotals(reportDir);
  // Last, once nx, its Jest workers, the services and the load are gone: anything else still running
  // under the clone outlived the test that started it. Named, killed, and the run fails.
  const leftovers = await checkLeftovers(REPO_ROOT, { log });
  return leftovers.failed && code === 0 ? 1 : code;
}

let logsDir = '.data/logs';

/** Says what failed and what to do, in one line. */
function setupFailure(err: unknown): string {
  const message = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM')
    return `${message} — a file or directory above is not accessible to this user; fix its permissions or run from a clone you own.`;
  if (code === 'ENOSPC') return `${message} — the disk is full; free some space and try again.`;
  return `${message}${/see |Set |set |run /.test(message) ? '' : ` — see the logs under ${logsDir}.`}`;
}

async function main(): Promise<number> {
  const [command = 'start', ...args] = process.argv.slice(2);
  const env = loadStackEnv();
  logsDir = path.join(env.DATA_DIR, 'logs');
  const commands: Record<string, (env: StackEnv, args: string[]) => Promise<number>> = { start, dev, cluster, services, test };
  const run = commands[command];
  if (!run) {
    console.error(`unknown command "${command}" (expected ${Object.keys(commands).join(', ')})`);
    return 2;
  }
  return run(env, args);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    // One readable line, not a stack trace: what failed and what to do (details are in .data/logs).
    console.error(`[stack] ${err instanceof ConfigError ? err.message : setupFailure(err)}`);
    process.exit(1);
  },
);
