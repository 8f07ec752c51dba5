import type { Job } from 'bullmq';
import type { JobData, JobName } from '@taskflow/events';
import { StaleTransitionError, transition } from '@taskflow/store';
import type { PipelineContext } from './context';

const STEP_NAMES: Partial<Record<JobName, string>> = { analyze: 'Analysis', dispatch: 'Creating the GitHub issue' };

/**
 * The job is parked (every attempt failed, minutes of backoff included): its task
 * fails visibly, with a message a user can act on and the Retry button. Called
 * only for a parked job, never between attempts. When even this write fails (the
 * database is still down), the task stays in received/analyzing and the reconciler
 * re-enqueues it once the database is back. A parked webhook fails no task: its
 * delivery stays unrecorded, so GitHub's Redeliver or `npm run jobs -- retry-failed`
 * applies it later.
 */
export async function failTask(job: Job<JobData[JobName]>, err: Error, ctx: PipelineContext): Promise<void> {
  const step = STEP_NAMES[job.name as JobName];
  if (!step || !('taskId' in job.data)) return;
  const errorMessage = `${step} failed after ${job.attemptsMade} attempt(s): ${err.message}`.slice(0, 1000);
  try {
    await transition(ctx.db, {
      taskId: job.data.taskId,
      from: ['received', 'analyzing'],
      to: 'failed',
      event: 'failed',
      patch: { errorMessage },
    });
  } catch (e) {
    // Cancelled or moved on meanwhile: nothing left to fail.
    if (!(e instanceof StaleTransitionError)) throw e;
  }
}
