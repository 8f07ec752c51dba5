import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createBranchEvent, pullRequestEvent, sendWebhook } from '@taskflow/github-sim';
import { taskBranch } from '@taskflow/events';
import { runTestProcess, spawnTestProcess } from '@taskflow/testing';
import { REPO_ROOT } from '../config';
import { freePort, isAlive, waitFor } from '../net';
import { readStackState, type StackState } from '../stack-state';

/**
 * `npm run cluster` and `npm run cluster:ctl` as an operator runs them, for
 * the cluster operations tests: the bootstrap as a child process with its own
 * DATA_DIR and PORT, the control command, and a client that retries what is
 * retryable and counts it.
 */
export interface SpawnedCluster {
  url: string;
  dataDir: string;
  proc: ChildProcess;
  output(): string;
  /** stack.json as the supervisor last wrote it. */
  state(): StackState;
  webhookSecret(): string;
  stop(): Promise<number | null>;
}

export function spawnCluster(dataDir: string, env: NodeJS.ProcessEnv): Promise<SpawnedCluster> {
  return spawnStack('cluster', dataDir, env);
}

/** `npm start` (one node, one worker, no HAProxy) or `npm run cluster`, through the bootstrap, as a user runs it. */
export async function spawnStack(command: 'start' | 'cluster', dataDir: string, env: NodeJS.ProcessEnv): Promise<SpawnedCluster> {
  const port = await freePort();
  // No demo tasks: a test reads dashboards and counts of its own tasks.
  const full: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    SEED_DEMO_TASKS: 'false',
    ...env,
  };
  for (const k of ['REDIS_URL', 'JWT_SECRET']) delete full[k];
  const name = `npm ${command === 'start' ? 'start' : 'run cluster'}`;
  // Its own process group; ended with the describe block (or test) that started it at the latest.
  const started = spawnTestProcess(process.execPath, [path.join(REPO_ROOT, 'infra/local/bootstrap.mjs'), command], {
    name,
    deadlineMs: 20 * 60_000,
    env: full,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { proc, exited } = started;
  const out = () => started.output();
  await waitFor(
    `${name} to be ready`,
    async () => {
      if (proc.exitCode !== null) throw new Error(`${command} exited early:\n${out()}`);
      return out().includes('Press Ctrl-C') || undefined;
    },
    // Several cluster suites start stacks at once on a 2-core CI machine.
    270_000,
  );
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    proc,
    output: out,
    state: () => {
      const state = readStackState(dataDir);
      if (!state) throw new Error(`no stack.json in ${dataDir}`);
      return state;
    },
    webhookSecret: () =>
      (JSON.parse(fs.readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as { githubWebhookSecret: string }).githubWebhookSecret,
    async stop() {
      const pids = readStackState(dataDir)?.pids ?? [];
      if (proc.exitCode === null) proc.kill('SIGINT');
      // Unref'd: a timer left pending after a clean exit would hold Jest open for its length. 30 s ran out once in a
      // busy CI run (cluster-ops, 32 s: drains, workers, then PostgreSQL on a machine at load 10).
      const code = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 90_000).unref())]);
      // After a failure, leave nothing running.
      if (proc.exitCode === null) process.kill(-proc.pid!, 'SIGKILL');
      for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      return code;
    },
  };
}

/** The node's own detail, from its metrics listener (the public /api/health does not tell it). */
export async function nodeHealth(metricsPort: number): Promise<any> {
  return (await fetch(`http://127.0.0.1:${metricsPort}/health`)).json();
}

/** `npm run cluster:ctl -- <args> --json` against the cluster's DATA_DIR; resolves with its final JSON line. */
export async function clusterCtl(dataDir: string, args: string[]): Promise<{ code: number | null; answer: any; stderr: string }> {
  const run = await runTestProcess('npm', ['run', '-s', 'cluster:ctl', '--', ...args, '--json'], {
    name: `cluster:ctl ${args.join(' ')}`,
    // A ceiling: a rolling restart under load takes tens of seconds; a status with no supervisor, seconds.
    deadlineMs: 150_000,
    cwd: REPO_ROOT,
    env: { ...process.env, DATA_DIR: dataDir },
  });
  const last = run.stdout.trim().split('\n').pop();
  let answer: unknown;
  try {
    answer = last ? JSON.parse(last) : undefined;
  } catch {
    answer = last;
  }
  return { code: run.code, answer, stderr: run.stderr };
}

/** What the load saw: retried answers (by status), and failures that were not retryable. */
export interface LoadStats {
  requests: number;
  retried: Record<string, number>;
  failures: string[];
}

const RETRYABLE = new Set([502, 503, 504]);
/**
 * How long a request is retried, backing off to RETRY_MAX_DELAY_MS. 50 tries 100 ms apart (5 s) ran out during a
 * rolling restart on a machine at load average 17, where HAProxy's checks of the remaining node time out too.
 */
const RETRY_FOR_MS = 60_000;
const RETRY_MAX_DELAY_MS = 2000;

/**
 * HTTP through HAProxy the way a well-behaved client does it: 502/503/504 are retried with backoff for up to a
 * minute (and counted);
 * with `retryConnectionErrors`, so are requests cut by a node that died under them (a SIGKILL leaves
 * no time to answer; GitHub, for one, redelivers). Anything else unexpected is a failure.
 */
export function retryingClient(url: string, stats: LoadStats, options: { retryConnectionErrors?: boolean } = {}) {
  return async function call(
    method: string,
    route: string,
    opts: { token?: string; body?: unknown; expect: number[]; send?: () => Promise<{ status: number; body: string }> },
  ): Promise<any> {
    const giveUpAt = Date.now() + RETRY_FOR_MS;
    for (let attempt = 1; ; attempt++) {
      stats.requests += 1;
      let status: number | string;
      let text = '';
      try {
        if (opts.send) ({ status, body: text } = await opts.send());
        else {
          const res = await fetch(`${url}${route}`, {
            method,
            headers: {
              ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
              ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
            },
            body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          });
          status = res.status;
          text = await res.text();
        }
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        status = `network error (${(err as Error).message}: ${cause?.code ?? cause?.message ?? 'no cause'})`;
      }
      if (typeof status === 'number' && opts.expect.includes(status)) return text ? JSON.parse(text) : undefined;
      const retryable = typeof status === 'number' ? RETRYABLE.has(status) : options.retryConnectionErrors === true;
      if (retryable && Date.now() < giveUpAt) {
        const key = typeof status === 'number' ? status : 'connection';
        stats.retried[key] = (stats.retried[key] ?? 0) + 1;
        await new Promise((r) => setTimeout(r, Math.min(RETRY_MAX_DELAY_MS, 100 * 2 ** Math.min(attempt - 1, 5))));
        continue;
      }
      stats.failures.push(`${method} ${route}: ${status} ${text.slice(0, 200)}`);
      throw new Error(`${method} ${route} failed: ${status}`);
    }
  };
}

/**
 * Tasks through their whole lifecycle, as users and GitHub drive them: create
 * (REST), analysis and dispatch (worker), then signed webhooks for coding, PR
 * opened and merged, one step after the status of the previous one is seen.
 */
export async function runTaskLifecycle(
  call: ReturnType<typeof retryingClient>,
  url: string,
  token: string,
  secret: string,
  title: string,
  onCreated?: (id: string) => void,
): Promise<string> {
  const created = await call('POST', '/api/tasks', {
    token,
    expect: [202],
    body: { title, description: 'Export the invoice list in src/invoices/list.ts as CSV, same columns as the table.' },
  });
  const id = created.task.id as string;
  onCreated?.(id);
  const until = async (status: string) =>
    waitFor(
      `${id} to reach ${status}`,
      async () => ((await call('GET', `/api/tasks/${id}`, { token, expect: [200] })).status === status ? true : undefined),
      // A ceiling for a busy machine, where a step can wait for a worker the test restarted.
      60_000,
    );
  const hook = (event: string, payload: object) =>
    call('POST', '/api/webhooks/github', {
      expect: [202],
      send: () => sendWebhook(`${url}/api/webhooks/github`, event, payload, { secret }),
    });
  const branch = taskBranch(id);
  const prNumber = 100 + Math.floor(Math.random() * 100_000);
  await until('dispatched');
  await hook('create', createBranchEvent({ repo: 'acme/payments', branch }));
  await until('coding');
  await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber, action: 'opened' }));
  await until('pr_open');
  await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber, action: 'closed', merged: true }));
  await until('merged');
  return id;
}
