import { dispatchJobId, JOBS } from '@taskflow/events';
import { deleteExpiredIdempotencyKeys, stuckTasks } from '@taskflow/store';
import type { PipelineContext } from './context';

/**
 * Re-enqueues work for tasks whose job was lost (Redis down when the API
 * enqueued, a queue flushed…) or parked while the database was down. Job ids
 * are deterministic: a job still waiting, running or backing off (analysis or
 * the dispatch that follows it) is left alone; a failed or completed one with
 * the same id is replayed rather than blocking the task (processors are idempotent).
 */
async function reconcile(ctx: PipelineContext, olderThanMs: number): Promise<number> {
  const tasks = await stuckTasks(ctx.db, olderThanMs);
  let requeued = 0;
  for (const task of tasks) {
    const dispatch = await ctx.queue.jobState(JOBS.dispatch, dispatchJobId(task.id, task.retryCount));
    if (dispatch === 'pending') continue;
    // A parked dispatch is replayed as is (its analysis is saved); anything else starts again from analysis.
    const outcome =
      dispatch === 'failed'
        ? await ctx.queue.enqueueDispatch(task.id, task.retryCount)
        : await ctx.queue.enqueueAnalysis(task.id, task.seq, { replaceCompleted: true });
    if (outcome === 'queued') requeued += 1;
  }
  return requeued;
}

export function startReconciler(ctx: PipelineContext, olderThanMs: number): () => void {
  let running = false;
  const timer = setInterval(
    () => {
      if (running) return;
      running = true;
      void Promise.all([
        reconcile(ctx, olderThanMs)
          .then((n) => n > 0 && ctx.logger.info({ tasks: n }, 'reconciler re-enqueued stuck tasks'))
          .catch((err: unknown) => ctx.logger.warn({ err }, 'reconciler failed')),
        // Answers kept for Idempotency-Keys past their expiry, of users who have not acted since (their own next
        // action sweeps the rest): a bounded batch per round.
        deleteExpiredIdempotencyKeys(ctx.db).catch((err: unknown) => ctx.logger.warn({ err }, 'idempotency key sweep failed')),
      ]).finally(() => (running = false));
    },
    Math.max(1000, Math.floor(olderThanMs / 2)),
  );
  timer.unref();
  return () => clearInterval(timer);
}
