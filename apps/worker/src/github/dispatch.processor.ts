import { taskBranch, validate } from '@taskflow/events';
import { getTask, transition } from '@taskflow/store';
import { AnalysisResultSchema } from '../analysis/analyzer';
import { skipWhenStale, type Processor } from '../pipeline/context';
import { issueContent, issueMarker } from './issue-content';

/**
 * analyzing (with a saved analysis) → dispatched: creates the GitHub issue and
 * commits its number, URL and the agent's branch. The issue is found again by
 * its marker when an earlier attempt died between creating it and committing.
 */
export const dispatchProcessor: Processor<'dispatch'> = async (job, ctx, log) => {
  const { taskId } = job.data;
  const found = await getTask(ctx.db, 'system', taskId);
  if (!found) return 'task not found';
  const { task } = found;
  if (task.status !== 'analyzing') return `skipped: task is ${task.status}`;
  const saved = task.analysis as { analyzer?: string; result?: unknown } | null;
  const analysis = validate(AnalysisResultSchema, saved?.result);
  if (!analysis.ok) {
    // Analysis missing or unreadable: analyse again rather than dispatch blind.
    await ctx.queue.enqueueAnalysis(taskId, task.seq);
    return 'no saved analysis; analysis re-enqueued';
  }
  const agent = task.preferredAgent !== 'auto' ? task.preferredAgent : analysis.value.recommendedAgent;
  const branch = taskBranch(taskId);
  // Each retry is a new attempt; its start is the last `retried` (or `created`) event.
  const attemptStart = [...found.events].reverse().find((e) => e.eventType === 'retried' || e.eventType === 'created')!.createdAt;
  const marker = issueMarker(taskId, task.retryCount);
  const content = issueContent({ task, analysis: analysis.value, agent, branch, appUrl: ctx.appUrl, marker });
  const issue = await ctx.tracker.ensureIssue({ repo: task.repo, ...content, marker, since: new Date(attemptStart.getTime() - 60_000) });
  log.info({ issue: issue.number }, 'issue ready');
  const skipped = await skipWhenStale(() =>
    transition(ctx.db, {
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
    }),
  );
  if (skipped) return skipped;
  return `dispatched as issue #${issue.number}`;
};
