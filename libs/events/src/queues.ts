/**
 * BullMQ queue and job names shared by API nodes (producers) and workers.
 * Job ids must not contain ':' (BullMQ uses it as a key separator).
 */
export const QUEUES = {
  analysis: 'task-analysis',
  github: 'task-github',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = {
  analyze: 'analyze',
  dispatch: 'dispatch',
} as const;
export type JobName = (typeof JOBS)[keyof typeof JOBS];

/** One job per (task, step, seq): a retried enqueue of the same step is ignored while the job exists. */
export function jobId(job: JobName, taskId: string, seq: number): string {
  return `${job}-${taskId}-${seq}`;
}
