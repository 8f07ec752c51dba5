import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loginAll } from './stack/login';
import { seedUsers } from './stack/seed-users';
import { attachCluster, REPO_ROOT, startCluster, type BenchCluster } from './stack/cluster';
import { BenchUsageError, parseBenchArgs, USAGE, wantsHelp, type BenchOptions } from './options';
import { MetricsEndpoints } from './sample/metrics-endpoints';
import { productComponents, readHaproxyCfg, type ScenarioContext } from './scenarios/context';
import { scenarioRunner } from './scenarios/scenarios';
import { markdownReport, summarize } from './report/summary';
import { p99Chart } from './report/p99-chart';

/**
 * `npm run bench -- <scenario> [options]`: starts its own cluster (or attaches to --url),
 * seeds this run's users, runs the scenario (and the bare baseline), prints a Markdown
 * table and, as the last line of stdout, one JSON object. Everything it starts, it stops.
 */
const PASSWORD = 'bench-password';
const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

function machineLine(): string {
  const cpus = os.cpus();
  return `Machine: ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} at the end (shared with other work), Node ${process.versions.node}.`;
}

async function run(opts: BenchOptions, cluster: BenchCluster): Promise<void> {
  const runId = randomBytes(3).toString('hex');
  const nodeUrls = () => {
    try {
      return cluster
        .state()
        .nodes.filter((n) => n.port)
        .map((n) => `http://127.0.0.1:${n.port}`);
    } catch {
      return [];
    }
  };
  const metrics = new MetricsEndpoints();
  const seedStarted = Date.now();
  const { users, orgIds } = await seedUsers(cluster.databaseUrl, { runId, orgs: opts.orgs, users: opts.users, password: PASSWORD });
  const tokens = await loginAll(
    users.map((u) => u.username),
    PASSWORD,
    nodeUrls().length ? nodeUrls() : [cluster.url],
  );
  say(`seeded ${users.length} users in ${orgIds.length} orgs and logged them in (${((Date.now() - seedStarted) / 1000).toFixed(1)} s)`);
  const orgs = orgIds.map((orgId) => ({ orgId, tokens: users.filter((u) => u.orgId === orgId).map((u) => tokens.get(u.username)!) }));
  const ctx: ScenarioContext = {
    opts,
    url: cluster.url,
    cluster,
    orgs,
    webhookSecret: cluster.secrets.githubWebhookSecret,
    nodeUrls,
    metricsUrls: () => {
      try {
        return metrics.urls(cluster.state().nodes);
      } catch {
        return Promise.resolve([]);
      }
    },
    components: (generatorPids) => productComponents(cluster, generatorPids),
    haproxyCfg: readHaproxyCfg(cluster),
    redisUrl: cluster.redisUrl,
    browserCookies: async () => {
      const started = Date.now();
      // Other source addresses than the Bearer logins', whose per-address login budget may still be spent.
      const cookies = await loginAll(
        users.map((u) => u.username),
        PASSWORD,
        nodeUrls().length ? nodeUrls() : [cluster.url],
        { kind: 'cookie', firstAddress: 100 },
      );
      say(`${cookies.size} browser sessions logged in (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return new Map(users.map((u) => [tokens.get(u.username)!, cookies.get(u.username)!]));
    },
    log: say,
  };
  const outcome = await scenarioRunner(opts.scenario)(ctx);
  const markdown = markdownReport(opts, outcome, machineLine());
  const summary = summarize(opts, outcome);
  if (opts.chart && outcome.sweep) {
    fs.writeFileSync(
      opts.chart,
      p99Chart(outcome.sweep, `p99 against load: ${opts.sockets} sockets (${opts.scenario}), product vs bare Socket.IO`),
    );
    say(`chart written to ${opts.chart}`);
  }
  if (opts.out) fs.writeFileSync(opts.out, `${markdown}\n\n\`\`\`json\n${JSON.stringify(summary, null, 2)}\n\`\`\`\n`);
  process.stdout.write(`${markdown}\n${JSON.stringify(summary)}\n`);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(argv, process.env);
  } catch (err) {
    if (!(err instanceof BenchUsageError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  const cluster = opts.url
    ? attachCluster(opts.url, path.resolve(opts.dataDir ?? path.join(REPO_ROOT, '.data')))
    : await startCluster({
        port: opts.port,
        nodes: opts.nodes,
        workers: opts.workers,
        log: say,
        env: opts.maxBufferedBytes === undefined ? undefined : { WEBSOCKET_MAX_BUFFERED_BYTES: String(opts.maxBufferedBytes) },
      });
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= cluster.stop());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop().then(() => process.exit(130)));
  // A throw from a timer or an unawaited promise would end the process and leave the cluster running (its HAProxy
  // then shares the port with the next run's): stop it first.
  const crash = (err: unknown) => {
    say(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    void stop().then(() => process.exit(1));
  };
  process.once('uncaughtException', crash);
  process.once('unhandledRejection', crash);
  // Bounded whatever happens: a run that hangs is stopped with its cluster.
  const sweeps = Math.max(1, opts.sweep.length);
  const budgetMs =
    (opts.durationS * 3 + 300) * 1000 * sweeps * (opts.scenario === 'polling' ? 3 : opts.scenario === 'slow-clients' ? 2 : 1);
  const watchdog = setTimeout(() => {
    say(`run exceeded ${Math.round(budgetMs / 1000)} s: stopping`);
    void stop().then(() => process.exit(1));
  }, budgetMs);
  watchdog.unref();
  try {
    await run(opts, cluster);
    return 0;
  } finally {
    clearTimeout(watchdog);
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
