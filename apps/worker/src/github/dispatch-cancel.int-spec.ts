import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { DispatchJobData } from '@taskflow/events';
import { PipelineQueue } from '@taskflow/queue';
import { getTask, saveAnalysis, transition } from '@taskflow/store';
import { createStoreFixture, type StoreFixture } from '@taskflow/store/testing';
import { startFakeGitHub, testEnv, type FakeIssue } from '@taskflow/testing';
import { BuiltinAnalyzer } from '../analysis/builtin.analyzer';
import type { PipelineContext } from '../pipeline/context';
import { CANCELLED_ISSUE_COMMENT, dispatchProcessor } from './dispatch.processor';
import type { IssueTracker } from './issue-tracker';
import { OctokitTracker } from './octokit.tracker';
import { SandboxTracker } from './sandbox.tracker';

/**
 * The dispatch step against the real trackers (Octokit with a GitHub stand-in,
 * and the Redis sandbox): a task cancelled while its issue is being created
 * leaves no open issue behind, and a dispatch run twice makes one issue.
 */
jest.setTimeout(60_000);

const logger = pino({ level: 'silent' });
let f: StoreFixture;
let redis: Redis;
let queue: PipelineQueue;
const prefix = `t${Math.random().toString(16).slice(2, 10)}`;
beforeAll(async () => {
  f = await createStoreFixture();
  redis = new Redis(testEnv('TEST_REDIS_URL'));
  queue = PipelineQueue.connect(testEnv('TEST_REDIS_URL'), prefix, logger);
});
afterAll(async () => {
  await queue.close();
  redis.disconnect();
  await f.close();
});

const ctxWith = (tracker: IssueTracker): PipelineContext => ({
  db: f.db,
  queue,
  analyzer: new BuiltinAnalyzer(),
  tracker,
  appUrl: 'https://taskflow.test',
  github: { webHost: 'github.com' },
  logger,
});
/** A run of the dispatch job (`attemptsStarted` > 1 is a retry or a re-run after a crash). */
const run = (ctx: PipelineContext, taskId: string, attemptsStarted = 1) =>
  dispatchProcessor({ data: { taskId }, attemptsStarted } as unknown as Job<DispatchJobData>, ctx, logger);

/** A task in `analyzing` with its analysis saved: what the dispatch job finds. */
async function analysedTask(): Promise<string> {
  const { task } = await f.newTask(f.users.alice);
  await transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
  const result = {
    needsClarification: false,
    questions: [],
    summary: 'Fix 3-D Secure',
    taskType: 'bug-fix',
    recommendedAgent: 'codex',
    likelyFiles: [],
    suggestedCriteria: [],
  };
  expect(await saveAnalysis(f.db, task.id, { analyzer: 'test', result })).toBe(true);
  return task.id;
}
const cancel = (taskId: string) =>
  transition(f.db, { taskId, from: ['received', 'analyzing', 'needs_clarification'], to: 'cancelled', event: 'cancelled' });
const statusOf = async (taskId: string) => (await getTask(f.db, 'system', taskId))!.task;

describe('through Octokit against the GitHub stand-in', () => {
  it('closes the issue with a comment when the task is cancelled while it is created', async () => {
    const taskId = await analysedTask();
    const github = await startFakeGitHub({ token: 'ghp_test', beforeCreateReply: () => cancel(taskId).then(() => undefined) });
    try {
      const outcome = await run(ctxWith(new OctokitTracker({ token: 'ghp_test', baseUrl: github.url, webHost: 'github.com' })), taskId);
      expect(outcome).toBe('skipped: task became cancelled; issue #1 closed');
      expect(github.issues).toHaveLength(1);
      expect(github.issues[0]).toMatchObject({ state: 'closed', comments: [CANCELLED_ISSUE_COMMENT] });
      expect(CANCELLED_ISSUE_COMMENT).toContain('task was cancelled');
      expect(await statusOf(taskId)).toMatchObject({ status: 'cancelled', githubIssueNumber: null });
    } finally {
      await github.close();
    }
  });

  it('closes it on a later run when the first could not (GitHub refused, or the worker died)', async () => {
    const taskId = await analysedTask();
    let refuse = true;
    const github = await startFakeGitHub({ token: 'ghp_test', beforeCreateReply: () => cancel(taskId).then(() => undefined) });
    const tracker = new OctokitTracker({ token: 'ghp_test', baseUrl: github.url, webHost: 'github.com' });
    const realClose = tracker.closeIssue.bind(tracker);
    tracker.closeIssue = (req) => (refuse ? Promise.reject(new Error('GitHub is down')) : realClose(req));
    try {
      await expect(run(ctxWith(tracker), taskId)).rejects.toThrow('GitHub is down');
      expect(github.issues[0]!.state).toBe('open');
      refuse = false;
      // A first run of a job for a cancelled task asks GitHub nothing; the retry looks the issue up by its marker.
      expect(await run(ctxWith(tracker), taskId, 1)).toBe('skipped: task is cancelled');
      expect(await run(ctxWith(tracker), taskId, 2)).toBe('skipped: task is cancelled; issue #1 closed');
      expect(github.issues).toHaveLength(1);
      expect(github.issues[0]).toMatchObject({ state: 'closed', comments: [CANCELLED_ISSUE_COMMENT] });
    } finally {
      await github.close();
    }
  });

  it('makes one issue, left open, when the job runs twice at once (a stalled job re-run)', async () => {
    const taskId = await analysedTask();
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    let createdFirst: (issue: FakeIssue) => void = () => undefined;
    const created = new Promise<FakeIssue>((r) => (createdFirst = r));
    const github = await startFakeGitHub({
      token: 'ghp_test',
      beforeCreateReply: async (issue) => {
        createdFirst(issue);
        await held;
      },
    });
    try {
      const ctx = ctxWith(new OctokitTracker({ token: 'ghp_test', baseUrl: github.url, webHost: 'github.com' }));
      const first = run(ctx, taskId);
      await created;
      // The re-run finds the first run's issue by its marker and dispatches with it.
      expect(await run(ctx, taskId, 2)).toBe('dispatched as issue #1');
      release();
      expect(await first).toBe('skipped: task became dispatched');
      expect(github.issues).toHaveLength(1);
      expect(github.issues[0]).toMatchObject({ state: 'open', comments: [] });
      expect(await statusOf(taskId)).toMatchObject({ status: 'dispatched', githubIssueNumber: 1 });
    } finally {
      release();
      await github.close();
    }
  });
});

describe('through the sandbox tracker', () => {
  /** The sandbox answers at once: the task is cancelled right after it numbered the issue. */
  class CancelAfterCreate extends SandboxTracker {
    constructor(private readonly taskId: string) {
      super(redis, prefix);
    }
    override async ensureIssue(req: Parameters<SandboxTracker['ensureIssue']>[0]) {
      const issue = await super.ensureIssue(req);
      await cancel(this.taskId);
      return issue;
    }
  }

  it('closes the issue with a comment when the task is cancelled while it is created', async () => {
    const taskId = await analysedTask();
    const tracker = new CancelAfterCreate(taskId);
    const outcome = await run(ctxWith(tracker), taskId);
    const number = Number(/#(\d+)/.exec(outcome)?.[1]);
    expect(outcome).toBe(`skipped: task became cancelled; issue #${number} closed`);
    expect(await tracker.issueState('acme/payments', number)).toEqual({ state: 'closed', closeComment: CANCELLED_ISSUE_COMMENT });
    // Closing again adds nothing.
    await tracker.closeIssue({ repo: 'acme/payments', number, comment: 'again' });
    expect(await tracker.issueState('acme/payments', number)).toEqual({ state: 'closed', closeComment: CANCELLED_ISSUE_COMMENT });
  });

  it('makes one issue when the job runs twice at once', async () => {
    const taskId = await analysedTask();
    const tracker = new SandboxTracker(redis, prefix);
    const before = Number((await redis.get(`${prefix}:sandbox:issue-seq:{acme/payments}`)) ?? 0);
    const outcomes = await Promise.all([run(ctxWith(tracker), taskId), run(ctxWith(tracker), taskId, 2)]);
    expect(outcomes.filter((o) => o.startsWith('dispatched as issue'))).toHaveLength(1);
    expect(Number(await redis.get(`${prefix}:sandbox:issue-seq:{acme/payments}`))).toBe(before + 1);
    const task = await statusOf(taskId);
    expect(task.status).toBe('dispatched');
    expect(await tracker.issueState('acme/payments', task.githubIssueNumber!)).toEqual({ state: 'open' });
  });
});
