import { effectiveAgent, taskBranch, validate } from '@taskflow/events';
import { findOrgRepo, getTask, StaleTransitionError, transition, type TaskRecord } from '@taskflow/store';
import { AnalysisResultSchema } from '../analysis/analyzer';
import { skipWhenStale, type PipelineContext, type Processor } from '../pipeline/context';
import { issueContent, issueMarker } from './issue-content';

/** Why we close an issue nobody should work on: a user reads it on GitHub. */
export const CANCELLED_ISSUE_COMMENT =
  'Closed by Taskflow Live: the task was cancelled while this issue was being created, so no agent should pick it up.';

/**
 * analyzing (with a saved analysis) → dispatched: creates the GitHub issue and
 * commits its number, URL and the agent's branch. The issue is found again by
 * its marker when an earlier attempt died between creating it and committing.
 * When the task was cancelled meanwhile, the issue is closed with a comment
 * instead (also by a later run of the job, if closing failed or the worker died).
 */
export const dispatchProcessor: Processor<'dispatch'> = async (job, ctx, log) => {
  const { taskId } = job.data;
  const found = await getTask(ctx.db, 'system', taskId);
  if (!found) return 'task not found';
  const { task } = found;
  // Each retry is a new attempt; its start is the last `retried` (or `created`) event.
  const attemptStart = [...found.events].reverse().find((e) => e.eventType === 'retried' || e.eventType === 'created')!.createdAt;
  const marker = issueMarker(taskId, task.retryCount);
  const since = new Date(attemptStart.getTime() - 60_000);
  if (task.status !== 'analyzing') {
    // Only a job that ran before can have created an issue; a first run costs GitHub nothing here.
    if (task.status === 'cancelled' && job.attemptsStarted > 1) {
      const orphan = await ctx.tracker.findIssue({ repo: task.repo, marker, since });
      if (orphan) {
        await ctx.tracker.closeIssue({ repo: task.repo, number: orphan.number, comment: CANCELLED_ISSUE_COMMENT });
        log.info({ issue: orphan.number }, 'closed the issue of a cancelled task');
        return `skipped: task is cancelled; issue #${orphan.number} closed`;
      }
    }
    return `skipped: task is ${task.status}`;
  }
  const refused = await refusedRepo(ctx, task);
  if (refused) {
    // Checked again here, the last step before GitHub: a task queued before its org lost the repository, or
    // written past the API, must not put one org's text into another's repository.
    log.warn({ repo: task.repo, reason: refused }, 'dispatch refused');
    const failed = await skipWhenStale(() =>
      transition(ctx.db, { taskId, from: 'analyzing', to: 'failed', event: 'failed', patch: { errorMessage: refused } }),
    );
    return failed ?? `refused: ${refused}`;
  }
  const saved = task.analysis as { analyzer?: string; result?: unknown } | null;
  const analysis = validate(AnalysisResultSchema, saved?.result);
  if (!analysis.ok) {
    // Analysis missing or unreadable: analyse again rather than dispatch blind.
    await ctx.queue.enqueueAnalysis(taskId, task.seq);
    return 'no saved analysis; analysis re-enqueued';
  }
  const agent = effectiveAgent({ preferredAgent: task.preferredAgent, recommendedAgent: analysis.value.recommendedAgent });
  const branch = taskBranch(taskId);
  const content = issueContent({ task, analysis: analysis.value, agent, branch, appUrl: ctx.appUrl, marker });
  const issue = await ctx.tracker.ensureIssue({ repo: task.repo, ...content, marker, since });
  log.info({ issue: issue.number }, 'issue ready');
  try {
    await transition(ctx.db, {
      taskId,
      from: 'analyzing',
      to: 'dispatched',
      event: 'dispatched',
      patch: {
        summary: analysis.value.summary,
        taskType: analysis.value.taskType,
        recommendedAgent: analysis.value.recommendedAgent,
        likelyFiles: analysis.value.likelyFiles,
        suggestedCriteria: analysis.value.suggestedCriteria,
        githubIssueNumber: issue.number,
        githubIssueUrl: issue.url,
        githubBranch: branch,
        dispatchedAt: new Date(),
      },
      detail: { analyzer: saved?.analyzer ?? 'unknown', tracker: ctx.tracker.label, agent },
    });
  } catch (err) {
    if (!(err instanceof StaleTransitionError)) throw err;
    // Dispatched by another run of this job (same marker, same issue): the issue is the task's, keep it.
    if (err.actual !== 'cancelled') return `skipped: task became ${err.actual}`;
    // If closing fails the job is retried, and the branch above closes it then.
    await ctx.tracker.closeIssue({ repo: task.repo, number: issue.number, comment: CANCELLED_ISSUE_COMMENT });
    log.info({ issue: issue.number }, 'task cancelled during dispatch: issue closed');
    return `skipped: task became cancelled; issue #${issue.number} closed`;
  }
  return `dispatched as issue #${issue.number}`;
};

/** Why this task may not become an issue in its repository, or undefined when it may. */
async function refusedRepo(ctx: PipelineContext, task: TaskRecord): Promise<string | undefined> {
  const repo = await findOrgRepo(ctx.db, task.orgId, task.repo);
  if (!repo) return `Repository ${task.repo} does not belong to this task's organisation; no issue was created`;
  if (task.isPrivate && !repo.isPrivate)
    return `Repository ${task.repo} is not marked private: a private task's text is not copied into its issues; no issue was created`;
  return undefined;
}
