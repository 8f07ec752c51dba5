/**
 * BullMQ queue and job names, and job payloads, shared by API nodes (producers)
 * and workers. Job ids must not contain ':' (BullMQ uses it as a key separator).
 */
export const QUEUES = {
  analysis: 'task-analysis',
  github: 'task-github',
  webhooks: 'github-webhooks',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = {
  analyze: 'analyze',
  dispatch: 'dispatch',
  applyWebhook: 'apply-webhook',
} as const;
export type JobName = (typeof JOBS)[keyof typeof JOBS];

/** Which queue carries each job. */
export const JOB_QUEUE: Readonly<Record<JobName, QueueName>> = {
  analyze: QUEUES.analysis,
  dispatch: QUEUES.github,
  'apply-webhook': QUEUES.webhooks,
};

export interface AnalyzeJobData {
  taskId: string;
}
export interface DispatchJobData {
  taskId: string;
}

/**
 * When the API received the delivery (ISO time): stamped on the job and kept in the timeline event's `detail` as
 * `webhookReceivedAt`, so nodes measure webhook → broadcast (taskflow_webhook_to_broadcast_seconds). Absent in jobs
 * queued by an older node.
 */
export interface WebhookReceipt {
  receivedAt?: string;
}

/** A GitHub delivery reduced to what the pipeline needs (the API validates and normalises it), with its receipt time. */
export type WebhookJobData = WebhookReceipt & WebhookDelivery;

/** The delivery itself, by kind. */
type WebhookDelivery =
  | { deliveryId: string; kind: 'branch_created'; repo: string; branch: string }
  | {
      deliveryId: string;
      kind: 'pull_request';
      action: 'opened' | 'reopened' | 'ready_for_review' | 'closed' | 'converted_to_draft' | 'synchronize';
      repo: string;
      /** The repository the PR's branch lives in; a fork's differs from `repo`, and only same-repo PRs move tasks. */
      headRepo: string;
      branch: string;
      /** `#123` references in the PR title/body, to match tasks by their issue. */
      issueRefs: number[];
      prNumber: number;
      prUrl: string;
      prTitle: string;
      merged: boolean;
      mergeCommitSha: string | null;
      mergedAt: string | null;
      /** Whether the PR is a draft (absent in jobs queued by an older node: treated as ready). */
      draft?: boolean;
      /** The GitHub login that did it, for the timeline. */
      sender?: string;
    }
  | {
      deliveryId: string;
      kind: 'pull_request_review';
      repo: string;
      headRepo: string;
      branch: string;
      prNumber: number;
      outcome: 'approved' | 'changes_requested' | 'commented';
      reviewer: string;
      url: string;
    }
  | {
      deliveryId: string;
      /** A check suite or check run completed on a same-repository PR's head. */
      kind: 'check_completed';
      repo: string;
      branch: string;
      prNumbers: number[];
      checkName: string;
      conclusion: 'passing' | 'failing';
      url: string;
      sender?: string;
    }
  | {
      deliveryId: string;
      /** `issue_comment` (on the issue or the PR) or `pull_request_review_comment`; matched by number in `repo`. */
      kind: 'comment';
      repo: string;
      on: 'issue' | 'pull_request' | 'review';
      number: number;
      author: string;
      body: string;
      url: string;
    };

/**
 * The W3C `traceparent` of the span that queued the job (OpenTelemetry, when tracing is on): the job's span continues
 * that trace. Absent while tracing is off, and in jobs queued by an older node.
 */
export interface JobTrace {
  traceparent?: string;
}

export interface JobData {
  analyze: AnalyzeJobData & JobTrace;
  dispatch: DispatchJobData & JobTrace;
  'apply-webhook': WebhookJobData & JobTrace;
}

/** One job per (step, task, seq): enqueuing the same step twice while the job exists is a no-op. */
export function jobId(job: JobName, taskId: string, seq: number): string {
  return `${job}-${taskId}-${seq}`;
}

/**
 * The one dispatch job of a task's attempt (a retry is a new attempt): the analysis that
 * saves the result enqueues it and the reconciler looks it up under this id, whatever
 * events were appended in between.
 */
export function dispatchJobId(taskId: string, attempt: number): string {
  return `${JOBS.dispatch}-${taskId}-attempt${attempt}`;
}

/** Percent-encoding keeps distinct delivery ids distinct and removes every ':'. */
export function webhookJobId(deliveryId: string): string {
  return `webhook-${encodeURIComponent(deliveryId)}`;
}
