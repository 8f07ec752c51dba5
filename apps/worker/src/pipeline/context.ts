import type { Job } from 'bullmq';
import type { JobData, JobName } from '@taskflow/events';
import type { Logger } from '@taskflow/platform';
import type { PipelineQueue } from '@taskflow/queue';
import type { Db } from '@taskflow/store';
import type { Analyzer } from '../analysis/analyzer';
import type { IssueTracker } from '../github/issue-tracker';

/** What every job processor gets: its job, and the worker's shared clients. */
export interface PipelineContext {
  db: Db;
  queue: PipelineQueue;
  analyzer: Analyzer;
  tracker: IssueTracker;
  appUrl: string;
  logger: Logger;
}

/** A processor returns a short outcome, kept as the job's return value (visible in logs and tests). */
export type Processor<J extends JobName> = (job: Job<JobData[J]>, ctx: PipelineContext, log: Logger) => Promise<string>;
