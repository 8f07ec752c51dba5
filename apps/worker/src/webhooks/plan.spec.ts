import { eventsForTransition, TASK_STATUSES, type TaskStatus, type WebhookJobData } from '@taskflow/events';
import type { TaskRecord } from '@taskflow/store';
import { plan } from './apply-webhook.processor';

type PullRequestJob = Extract<WebhookJobData, { kind: 'pull_request' }>;
type Steps = ReturnType<typeof plan>;

const REPO = 'acme/shop';
const BRANCH = 'taskflow/42-add-csv-export';

function task(status: TaskStatus, overrides: Partial<TaskRecord> = {}): TaskRecord {
  const created = new Date('2024-05-01T10:00:00.000Z');
  return {
    id: '00000000-0000-4000-8000-000000000042',
    title: 'Add CSV export',
    description: 'Export the monthly report as CSV.',
    status,
    seq: 7,
    isPrivate: false,
    orgId: 'org-1',
    creatorId: 'user-1',
    createdBy: { id: 'user-1', username: 'ada', name: 'Ada' },
    createdAt: created,
    updatedAt: created,
    repo: REPO,
    taskTypeHint: 'auto',
    filesHint: [],
    acceptanceCriteria: [],
    priority: 'normal',
    preferredAgent: 'auto',
    summary: 'feature: Add CSV export',
    taskType: 'feature',
    recommendedAgent: 'claude-code',
    likelyFiles: [],
    suggestedCriteria: [],
    clarificationQuestions: [],
    clarificationAnswers: [],
    githubIssueNumber: 12,
    githubIssueUrl: `https://github.com/${REPO}/issues/12`,
    githubBranch: BRANCH,
    prNumber: null,
    prUrl: null,
    prTitle: null,
    mergeCommitSha: null,
    mergedAt: null,
    dispatchedAt: created,
    completedAt: null,
    errorMessage: null,
    retryCount: 0,
    prState: null,
    reviewState: null,
    checksState: null,
    checksUrl: null,
    analysis: null,
    ...overrides,
  };
}

/** The task as it is once PR #N is open (or was open, for failed/merged). */
const withPr = (n = 17): Partial<TaskRecord> => ({
  prNumber: n,
  prUrl: `https://github.com/${REPO}/pull/${n}`,
  prTitle: `Add CSV export (#${n})`,
});

const branchCreated = (): WebhookJobData => ({ deliveryId: 'd-branch', kind: 'branch_created', repo: REPO, branch: BRANCH });

function pr(action: PullRequestJob['action'], overrides: Partial<PullRequestJob> = {}): PullRequestJob {
  const prNumber = overrides.prNumber ?? 17;
  return {
    deliveryId: `d-${action}`,
    kind: 'pull_request',
    action,
    repo: REPO,
    headRepo: REPO,
    branch: BRANCH,
    issueRefs: [12],
    prNumber,
    prUrl: `https://github.com/${REPO}/pull/${prNumber}`,
    prTitle: `Add CSV export (#${prNumber})`,
    merged: false,
    mergeCommitSha: null,
    mergedAt: null,
    ...overrides,
  };
}

const merged = (overrides: Partial<PullRequestJob> = {}) =>
  pr('closed', { merged: true, mergeCommitSha: 'abc123def', mergedAt: '2024-05-02T12:00:00.000Z', ...overrides });

/** Every step is a transition the status machine allows, and the steps chain from the task's status. */
function expectAgreesWithStatusMachine(t: TaskRecord, steps: Steps): void {
  let current = t.status;
  for (const step of steps) {
    expect(step.from).toBe(current);
    expect(eventsForTransition(step.from, step.to)).toContain(step.event);
    current = step.to;
  }
}

function planned(t: TaskRecord, job: WebhookJobData): Steps {
  const steps = plan(t, job);
  expectAgreesWithStatusMachine(t, steps);
  return steps;
}

/** A PR that (re)opens starts without reviews or CI results; a draft opens as one. */
/** What opening a PR writes besides its own fields: a fresh review and CI state, and no error (the contract's PR_OPENED_RESET). */
const FRESH_PR = { prState: 'ready', errorMessage: null, reviewState: null, checksState: null, checksUrl: null } as const;

const OTHER_THAN = (...keep: TaskStatus[]) => TASK_STATUSES.filter((s) => !keep.includes(s));

describe('plan (webhook delivery → status transitions)', () => {
  describe('branch_created', () => {
    it('moves a dispatched task to coding', () => {
      expect(planned(task('dispatched'), branchCreated())).toEqual([{ from: 'dispatched', to: 'coding', event: 'coding' }]);
    });

    it.each(OTHER_THAN('dispatched'))('does nothing when the task is %s', (status) => {
      expect(planned(task(status, status === 'pr_open' || status === 'merged' ? withPr() : {}), branchCreated())).toEqual([]);
    });
  });

  describe('pull_request opened', () => {
    it.each(['dispatched', 'coding'] as const)('opens the PR of a %s task with its number, url and title', (status) => {
      const job = pr('opened');
      expect(planned(task(status), job)).toEqual([
        {
          from: status,
          to: 'pr_open',
          event: 'pr_opened',
          patch: { prNumber: 17, prUrl: job.prUrl, prTitle: job.prTitle, ...FRESH_PR },
        },
      ]);
    });

    it.each(['reopened', 'ready_for_review'] as const)('treats %s like opened for a coding task', (action) => {
      const steps = planned(task('coding'), pr(action));
      expect(steps.map((s) => [s.from, s.to, s.event])).toEqual([['coding', 'pr_open', 'pr_opened']]);
    });

    it.each(['pr_open', 'merged', 'cancelled'] as const)('does nothing when the task is already %s', (status) => {
      expect(planned(task(status, status === 'cancelled' ? {} : withPr()), pr('opened'))).toEqual([]);
    });

    it.each(['received', 'analyzing', 'needs_clarification'] as const)('does nothing for a task not dispatched yet (%s)', (status) => {
      expect(planned(task(status, { githubIssueNumber: null, githubIssueUrl: null, githubBranch: null }), pr('opened'))).toEqual([]);
    });

    it('does nothing for a failed task that never had this PR', () => {
      expect(planned(task('failed', { errorMessage: 'GitHub said no' }), pr('opened'))).toEqual([]);
    });
  });

  describe('pull_request closed and merged', () => {
    it('merges an open PR with the merge commit and time', () => {
      expect(planned(task('pr_open', withPr()), merged())).toEqual([
        {
          from: 'pr_open',
          to: 'merged',
          event: 'pr_merged',
          patch: { mergeCommitSha: 'abc123def', mergedAt: '2024-05-02T12:00:00.000Z', prState: 'merged' },
        },
      ]);
    });

    it.each(['dispatched', 'coding'] as const)('opens then merges when the merge arrives first for a %s task', (status) => {
      const job = merged();
      expect(planned(task(status), job)).toEqual([
        { from: status, to: 'pr_open', event: 'pr_opened', patch: { prNumber: 17, prUrl: job.prUrl, prTitle: job.prTitle, ...FRESH_PR } },
        {
          from: 'pr_open',
          to: 'merged',
          event: 'pr_merged',
          patch: { mergeCommitSha: 'abc123def', mergedAt: '2024-05-02T12:00:00.000Z', prState: 'merged' },
        },
      ]);
    });

    it('still merges when GitHub left out the merge commit and time', () => {
      const steps = planned(task('pr_open', withPr()), merged({ mergeCommitSha: null, mergedAt: null }));
      expect(steps).toHaveLength(1);
      const patch = steps[0]!.patch as { mergeCommitSha: string; mergedAt: string };
      expect(patch.mergeCommitSha).toBe('unknown');
      expect(Number.isNaN(Date.parse(patch.mergedAt))).toBe(false);
    });

    it('merges an open task that does not know its PR number yet', () => {
      const steps = planned(task('pr_open'), merged());
      expect(steps.map((s) => s.event)).toEqual(['pr_merged']);
    });

    it.each(['merged', 'cancelled', 'received', 'analyzing', 'needs_clarification'] as const)(
      'does nothing when the task is %s',
      (status) => {
        expect(planned(task(status, status === 'merged' ? withPr() : {}), merged())).toEqual([]);
      },
    );
  });

  describe('pull_request closed without merging', () => {
    it('fails an open task with pr_closed and a message naming the PR', () => {
      const steps = planned(task('pr_open', withPr()), pr('closed'));
      expect(steps).toHaveLength(1);
      expect(steps[0]).toMatchObject({ from: 'pr_open', to: 'failed', event: 'pr_closed' });
      expect(steps[0]!.patch?.errorMessage).toEqual(expect.stringContaining('#17'));
    });

    it.each(['dispatched', 'coding'] as const)('opens then fails when the close arrives first for a %s task', (status) => {
      const steps = planned(task(status), pr('closed'));
      expect(steps.map((s) => [s.from, s.to, s.event])).toEqual([
        [status, 'pr_open', 'pr_opened'],
        ['pr_open', 'failed', 'pr_closed'],
      ]);
    });

    it('does nothing for a task that already failed', () => {
      expect(planned(task('failed', { ...withPr(), errorMessage: 'Pull request #17 was closed without merging' }), pr('closed'))).toEqual(
        [],
      );
    });
  });

  describe('pull_request reopened', () => {
    const failedWithPr = (n = 17) => task('failed', { ...withPr(n), errorMessage: `Pull request #${n} was closed without merging` });

    it('revives a failed task when its own PR is reopened, clearing the error', () => {
      const job = pr('reopened');
      expect(planned(failedWithPr(), job)).toEqual([
        {
          from: 'failed',
          to: 'pr_open',
          event: 'pr_opened',
          patch: { prNumber: 17, prUrl: job.prUrl, prTitle: job.prTitle, ...FRESH_PR, errorMessage: null },
        },
      ]);
    });

    it('does nothing when a different PR is reopened', () => {
      expect(planned(failedWithPr(17), pr('reopened', { prNumber: 99 }))).toEqual([]);
    });

    it('revives and merges a failed task when its PR is merged after a lost reopen', () => {
      const steps = planned(failedWithPr(), merged());
      expect(steps.map((st) => st.event)).toEqual(['pr_opened', 'pr_merged']);
      expect(steps.at(-1)).toMatchObject({ to: 'merged', patch: { mergeCommitSha: 'abc123def' } });
    });

    it('leaves a failed task failed when its PR is closed again without a merge', () => {
      expect(planned(failedWithPr(), pr('closed'))).toEqual([]);
    });

    it('does nothing for a failed task without a PR', () => {
      expect(planned(task('failed', { errorMessage: 'Analysis failed' }), pr('reopened'))).toEqual([]);
    });

    it.each(['pr_open', 'merged', 'cancelled'] as const)('does nothing when the task is %s', (status) => {
      expect(planned(task(status, status === 'cancelled' ? {} : withPr()), pr('reopened'))).toEqual([]);
    });
  });

  describe('deliveries for a different PR', () => {
    it('ignores a close of another PR while the task has its own PR open', () => {
      expect(planned(task('pr_open', withPr(17)), pr('closed', { prNumber: 18 }))).toEqual([]);
    });

    it('ignores a merge of another PR while the task has its own PR open', () => {
      expect(planned(task('pr_open', withPr(17)), merged({ prNumber: 18 }))).toEqual([]);
    });

    it('ignores another PR being opened while the task has its own PR open', () => {
      expect(planned(task('pr_open', withPr(17)), pr('opened', { prNumber: 18 }))).toEqual([]);
    });
  });

  describe('deliveries from another repository', () => {
    it.each(['dispatched', 'coding'] as const)('does not open a PR of another repository on a %s task with the same branch', (status) => {
      expect(planned(task(status), pr('opened', { repo: 'acme/web', headRepo: 'acme/web' }))).toEqual([]);
    });

    it('does not close the PR of a task from another repository', () => {
      expect(planned(task('pr_open', withPr(17)), pr('closed', { repo: 'acme/web', headRepo: 'acme/web' }))).toEqual([]);
    });

    it('does not start coding on a branch created in another repository', () => {
      expect(planned(task('dispatched'), { ...branchCreated(), repo: 'acme/web' })).toEqual([]);
    });

    it('treats the repository name case-insensitively, as GitHub does', () => {
      expect(planned(task('dispatched'), { ...branchCreated(), repo: 'Acme/Shop' })).toEqual([
        { from: 'dispatched', to: 'coding', event: 'coding' },
      ]);
    });
  });

  describe('agreement with the status machine', () => {
    const jobs: Array<[string, WebhookJobData]> = [
      ['branch_created', branchCreated()],
      ...(['opened', 'reopened', 'ready_for_review', 'closed'] as const).flatMap((action): Array<[string, WebhookJobData]> => [
        [`${action} #17`, pr(action)],
        [`${action} #18`, pr(action, { prNumber: 18 })],
      ]),
      ['merged #17', merged()],
      ['merged #18', merged({ prNumber: 18 })],
    ];
    const tasks: Array<[string, TaskRecord]> = TASK_STATUSES.flatMap((status): Array<[string, TaskRecord]> => [
      [`${status} without PR`, task(status)],
      [`${status} with PR #17`, task(status, withPr(17))],
    ]);

    it('allows every step planned for any task status and delivery', () => {
      const disagreements: string[] = [];
      for (const [tn, t] of tasks) {
        for (const [jn, j] of jobs) {
          let current = t.status;
          for (const step of plan(t, j)) {
            if (step.from !== current || !eventsForTransition(step.from, step.to).includes(step.event)) {
              disagreements.push(`${tn} + ${jn}: ${step.from} → ${step.to} (${step.event})`);
            }
            current = step.to;
          }
        }
      }
      expect(disagreements).toEqual([]);
    });

    it('never plans more than an open and a close', () => {
      for (const [, t] of tasks) for (const [, j] of jobs) expect(plan(t, j).length).toBeLessThanOrEqual(2);
    });
  });
});
