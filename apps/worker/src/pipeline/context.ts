import type { Job } from 'bullmq';
import type { JobData, JobName, WebhookScope } from '@taskflow/events';
import type { Logger } from '@taskflow/platform';
import type { PipelineQueue } from '@taskflow/queue';
import { StaleTransitionError, type Db } from '@taskflow/store';
import type { Analyzer } from '../analysis/analyzer';
import type { IssueTracker } from '../github/issue-tracker';

/** What every job processor gets: its job, and the worker's shared clients. */
export interface PipelineContext {
  db: Db;
  queue: PipelineQueue;
  analyzer: Analyzer;
  tracker: IssueTracker;
  appUrl: string;
  /** The host PR links must be on (whose repository a delivery is, org_repos says). */
  github: Pick<WebhookScope, 'webHost'>;
  logger: Logger;
}

/** A processor returns a short outcome, kept as the job's return value (visible in logs and tests). */
export type Processor<J extends JobName> = (job: Job<JobData[J]>, ctx: PipelineContext, log: Logger) => Promise<string>;

/**
 * Runs a commit that may lose a race (the task was cancelled, or another worker
 * got there first): that is an outcome to report, not an error to retry.
 */
export async function skipWhenStale(commit: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await commit();
    return undefined;
  } catch (err) {
    if (err instanceof StaleTransitionError) return `skipped: task became ${err.actual}`;
    throw err;
  }
}
