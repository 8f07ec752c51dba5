import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { taskBranch } from '@taskflow/events';
import { transition } from '@taskflow/store';
import { createStoreFixture, FIXTURE_PASSWORD, type StoreFixture } from '@taskflow/store/testing';
import { apiClient, eventually, freePort, login, spawnApp, testEnv, type AppProcess } from '@taskflow/testing';
import { loadWorkerConfig } from '../config';
import { startWorkerRuntime, type WorkerRuntime } from '../runtime';

export const WEBHOOK_SECRET = 'webhook-secret-for-tests-0123456789';
const REPOS = 'acme/payments,acme/web';

/**
 * A real server node (its own process) and in-process worker runtimes against a
 * database and a queue prefix of their own: the whole pipeline, nothing mocked.
 */
export interface PipelineStack {
  f: StoreFixture;
  url: string;
  prefix: string;
  server: AppProcess;
  /** Environment for a worker of this stack (database, Redis, queue prefix, fast retries). */
  workerEnv: NodeJS.ProcessEnv;
  startWorker(env?: NodeJS.ProcessEnv): WorkerRuntime;
  asUser(username: 'alice' | 'bob' | 'carol'): Promise<ReturnType<typeof apiClient>>;
  waitForStatus(api: ReturnType<typeof apiClient>, taskId: string, status: string, timeoutMs?: number): Promise<any>;
  /**
   * A task of alice's (of `repo`, acme/payments unless given) moved to `dispatched` as issue `issue` on its own
   * branch, as a dispatch leaves it, committed directly (no job, no broadcast watcher needed).
   */
  dispatchedTask(issue: number, task?: { repo?: string; title?: string }): Promise<{ id: string; branch: string }>;
  close(): Promise<void>;
}

/**
 * `redisUrl`: a Redis of the test's own (one it may stop or stall); the shared test Redis otherwise.
 * `serverEnv`: more of the server's environment (e.g. tracing on).
 */
export async function startPipelineStack(opts: { redisUrl?: string; serverEnv?: NodeJS.ProcessEnv } = {}): Promise<PipelineStack> {
  const f = await createStoreFixture();
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const common = {
    DATABASE_URL: f.url,
    REDIS_URL: opts.redisUrl ?? testEnv('TEST_REDIS_URL'),
    QUEUE_PREFIX: prefix,
    GITHUB_REPOS: REPOS,
    LOG_LEVEL: 'warn',
    JOB_ATTEMPTS: '2',
    JOB_BACKOFF_MS: '200',
  };
  const server = spawnApp('apps/server/src/main.ts', {
    ...common,
    PORT: String(port),
    HOST: '127.0.0.1',
    JWT_SECRET: 'jwt-secret-for-tests-0123456789abcdef',
    GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    MIGRATE_ON_START: 'false',
    ...opts.serverEnv,
  });
  // 3-5 s idle; over 20 s seen on a busy 2-core machine. Callers' beforeAll budgets allow for this deadline.
  await eventually('server health', async () => ((await fetch(`${url}/api/health`).catch(() => undefined))?.ok ? true : undefined), 60_000);
  const workers: WorkerRuntime[] = [];
  // The GitHub stand-in serves the API locally but links to github.com, as GitHub does.
  const workerEnv = { ...common, APP_URL: 'https://taskflow.test', RECONCILE_AFTER_MS: '600000', GITHUB_WEB_URL: 'https://github.com' };
  return {
    workerEnv,
    f,
    url,
    prefix,
    server,
    startWorker(env = {}) {
      const config = loadWorkerConfig({ ...workerEnv, ...env });
      const runtime = startWorkerRuntime(config, pino({ level: 'silent' }));
      workers.push(runtime);
      return runtime;
    },
    async asUser(username) {
      return apiClient(url, await login(url, username, FIXTURE_PASSWORD));
    },
    async waitForStatus(api, taskId, status, timeoutMs = 20_000) {
      return eventually(
        `task ${taskId} to be ${status}`,
        async () => {
          const res = await api.get(`/api/tasks/${taskId}`);
          if (res.body?.status === 'failed' && status !== 'failed') throw new Error(`task failed: ${res.body.errorMessage}`);
          return res.body?.status === status ? res.body : undefined;
        },
        timeoutMs,
      );
    },
    async dispatchedTask(issue, overrides = {}) {
      const repo = overrides.repo ?? 'acme/payments';
      const { task } = await f.newTask(f.users.alice, { ...overrides, repo });
      const branch = taskBranch(task.id);
      await transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
      await transition(f.db, {
        taskId: task.id,
        from: 'analyzing',
        to: 'dispatched',
        event: 'dispatched',
        patch: {
          githubIssueNumber: issue,
          githubIssueUrl: `https://github.com/${repo}/issues/${issue}`,
          githubBranch: branch,
          dispatchedAt: new Date(),
        },
      });
      return { id: task.id, branch };
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop()));
      await server.stop();
      await f.close();
    },
  };
}

/**
 * A spec file's stack, started before its tests and closed after them: read `.current` inside a test. Starting a
 * server process takes up to 60 s on a busy machine (see startPipelineStack): the hook's budget is above that.
 */
export function usePipelineStack(opts: Parameters<typeof startPipelineStack>[0] = {}): { current: PipelineStack } {
  const holder = {} as { current: PipelineStack };
  beforeAll(async () => {
    holder.current = await startPipelineStack(opts);
  }, 120_000);
  afterAll(() => holder.current?.close());
  return holder;
}
