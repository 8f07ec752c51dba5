import { outsideScope, PR_OPENED_RESET, sameRepo, type TaskEventType, type TaskStatus, type WebhookJobData } from '@taskflow/events';
import { StaleTransitionError, findTaskForWebhook, transition, type TaskPatch, type TaskRecord } from '@taskflow/store';
import type { Processor } from '../pipeline/context';
import { deliveryRef } from './delivery-ledger';
import { applyActivity } from './pr-activity';

interface Step {
  from: TaskStatus;
  to: TaskStatus;
  event: TaskEventType;
  patch?: TaskPatch;
}

type PullRequestJob = Extract<WebhookJobData, { kind: 'pull_request' }>;

/** The PR's fields, and what a new PR clears (the contract's PR_OPENED_RESET, which clients apply on `task:pr_opened`). */
const prFields = (job: PullRequestJob): TaskPatch => ({
  ...PR_OPENED_RESET,
  prNumber: job.prNumber,
  prUrl: job.prUrl,
  prTitle: job.prTitle,
  prState: job.draft ? 'draft' : 'ready',
});

/**
 * The transitions a delivery asks for, given where the task is now. GitHub does
 * not promise ordering, so a close that arrives before the open first opens the
 * PR from the close's own data; a delivery the task has moved past does nothing.
 */
export function plan(task: TaskRecord, job: WebhookJobData): Step[] {
  if (!sameRepo(task.repo, job.repo) || (job.kind !== 'branch_created' && job.kind !== 'pull_request')) return [];
  const s = task.status;
  if (job.kind === 'branch_created') return s === 'dispatched' ? [{ from: 'dispatched', to: 'coding', event: 'coding' }] : [];

  const open: Step[] =
    s === 'dispatched' || s === 'coding'
      ? [{ from: s, to: 'pr_open', event: 'pr_opened', patch: prFields(job) }]
      : // Reopening (or, if the reopen was lost, merging) a closed PR revives the task it had failed.
        s === 'failed' && task.prNumber === job.prNumber && (job.action !== 'closed' || job.merged)
        ? [{ from: 'failed', to: 'pr_open', event: 'pr_opened', patch: prFields(job) }]
        : [];
  if (job.action !== 'closed') return open;

  const openNow = s === 'pr_open' || open.length > 0;
  if (!openNow || (s === 'pr_open' && task.prNumber !== null && task.prNumber !== job.prNumber)) return [];
  const close: Step = job.merged
    ? {
        from: 'pr_open',
        to: 'merged',
        event: 'pr_merged',
        patch: { mergeCommitSha: job.mergeCommitSha ?? 'unknown', mergedAt: job.mergedAt ?? new Date().toISOString(), prState: 'merged' },
      }
    : {
        from: 'pr_open',
        to: 'failed',
        event: 'pr_closed',
        patch: { errorMessage: `Pull request #${job.prNumber} was closed without merging`, prState: 'closed' },
      };
  return [...open, close];
}

/** Statuses in which a task's GitHub issue may exist although its `dispatched` transition has not committed. */
const DISPATCH_PENDING: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['received', 'analyzing']);

/** Applies a GitHub delivery to its task; re-plans when another delivery moved the task meanwhile. */
export const applyWebhookProcessor: Processor<'apply-webhook'> = async (job, ctx, log) => {
  const data = job.data;
  const outside = outsideScope(data, ctx.github);
  if (outside) {
    log.warn({ reason: outside, repo: data.repo }, 'webhook ignored: outside our repositories');
    return `ignored: ${outside}`;
  }
  // Reviews, CI results and comments never move the status: they are recorded beside it.
  if (data.kind !== 'branch_created' && data.kind !== 'pull_request') {
    return (await applyActivity(ctx.db, data, log)) ?? `ignored: no task with an open PR or issue for this ${data.kind}`;
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const task = await findTaskForWebhook(ctx.db, {
      repo: data.repo,
      branch: data.branch,
      issueRefs: data.kind === 'pull_request' ? data.issueRefs : [],
    });
    if (!task) return `ignored: no task for branch ${data.branch}`;
    const steps = plan(task, data);
    if (steps.length === 0 && DISPATCH_PENDING.has(task.status)) {
      // GitHub only knows this branch because the issue exists: the dispatch's own commit is late (say,
      // PostgreSQL was away). Retry with the job's backoff until it lands, rather than drop a delivery we
      // answered 2xx.
      throw new Error(`task ${task.id} is still ${task.status}: its dispatch has not committed yet`);
    }
    if (steps.length === 0) {
      // Draft, ready for review, new commits, reopened: the PR's own state changes, the task stays pr_open.
      const recorded = data.kind === 'pull_request' ? await applyActivity(ctx.db, data, log) : undefined;
      return recorded ?? `ignored: task ${task.id} is ${task.status}`;
    }
    try {
      for (const [i, step] of steps.entries()) {
        // The last step records the delivery as applied, in its own transaction.
        const delivery = i === steps.length - 1 ? deliveryRef(data) : undefined;
        const detail: Record<string, string> = { deliveryId: data.deliveryId, actorKind: 'github' };
        if (data.kind === 'pull_request' && data.sender) detail.actor = data.sender;
        if (data.receivedAt) detail.webhookReceivedAt = data.receivedAt;
        await transition(ctx.db, { taskId: task.id, ...step, detail, delivery });
      }
      log.info({ taskId: task.id, to: steps.at(-1)!.to }, 'webhook applied');
      return `applied: ${steps.map((st) => st.event).join(', ')}`;
    } catch (err) {
      if (!(err instanceof StaleTransitionError)) throw err;
    }
  }
  throw new Error('the task kept changing while applying the delivery');
};
