import type { Job } from 'bullmq';
import type { JobData, JobName } from '@taskflow/events';
import { StaleTransitionError, transition } from '@taskflow/store';
import type { PipelineContext } from './context';

const STEP_NAMES: Partial<Record<JobName, string>> = { analyze: 'Analysis', dispatch: 'Creating the GitHub issue' };

/**
 * Retries are exhausted: the task fails with a message a user can act on.
 * Only analysis and dispatch fail a task; a webhook that cannot be applied is logged.
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
