import { stuckTasks } from '@taskflow/store';
import type { PipelineContext } from './context';

/**
 * Re-enqueues work for tasks whose job was lost (Redis down when the API
 * enqueued, a queue flushed…). Job ids are deterministic, so a job that still
 * exists is not duplicated; processors are idempotent in any case.
 */
export async function reconcile(ctx: PipelineContext, olderThanMs: number): Promise<number> {
  const tasks = await stuckTasks(ctx.db, olderThanMs);
  for (const task of tasks) await ctx.queue.enqueueAnalysis(task.id, task.seq);
  return tasks.length;
}

export function startReconciler(ctx: PipelineContext, olderThanMs: number): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    reconcile(ctx, olderThanMs)
      .then((n) => n > 0 && ctx.logger.info({ tasks: n }, 'reconciler re-enqueued stuck tasks'))
      .catch((err: unknown) => ctx.logger.warn({ err }, 'reconciler failed'))
      .finally(() => (running = false));
  }, Math.max(1000, Math.floor(olderThanMs / 2)));
  timer.unref();
  return () => clearInterval(timer);
}
