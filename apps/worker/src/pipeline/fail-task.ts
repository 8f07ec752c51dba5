import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import type { JobData, JobName } from '@taskflow/events';
import { StaleTransitionError, transition } from '@taskflow/store';
import type { PipelineContext } from './context';

/**
 * What a user reads for each step: stable text, never the error's own (an LLM's, GitHub's or the database's answer can
 * carry internals: hosts, SQL, request bodies). The error itself is logged with the reference the message gives.
 */
const STEPS: Partial<Record<JobName, { name: string; cause: string }>> = {
  analyze: { name: 'Analysis', cause: 'the analysis service did not give a usable answer' },
  dispatch: { name: 'Creating the GitHub issue', cause: 'GitHub did not accept the request' },
};

/**
 * The job is parked (every attempt failed, minutes of backoff included): its task
 * fails visibly, with a stable message, a reference to find the error in the worker's
 * log, and the Retry button. Called
 * only for a parked job, never between attempts. When even this write fails (the
 * database is still down), the task stays in received/analyzing and the reconciler
 * re-enqueues it once the database is back. A parked webhook fails no task: its
 * delivery stays unrecorded, so GitHub's Redeliver or `npm run jobs -- retry-failed`
 * applies it later.
 */
export async function failTask(job: Job<JobData[JobName]>, err: Error, ctx: PipelineContext): Promise<void> {
  const step = STEPS[job.name as JobName];
  if (!step || !('taskId' in job.data)) return;
  const reference = randomUUID();
  ctx.logger.error({ err, reference, jobId: job.id, taskId: job.data.taskId }, `${step.name} failed for good (reference ${reference})`);
  const errorMessage = `${step.name} failed after ${job.attemptsMade} attempt(s): ${step.cause}. Reference: ${reference}`;
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
