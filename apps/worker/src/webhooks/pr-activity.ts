import { TASK_STATUSES, type WebhookJobData } from '@taskflow/events';
import {
  appendEvent,
  findTaskByNumber,
  findTaskForWebhook,
  StaleTransitionError,
  type AppendInput,
  type Db,
  type TaskRecord,
} from '@taskflow/store';
import type { Logger } from '@taskflow/platform';
import { deliveryRef } from './delivery-ledger';

type Kind = WebhookJobData['kind'];
type JobOf<K extends Kind> = Extract<WebhookJobData, { kind: K }>;
type PullRequestJob = JobOf<'pull_request'>;

/** An update that records something on the task without moving its status. */
type Update = Omit<AppendInput, 'taskId' | 'delivery'>;

interface Activity<K extends Kind> {
  find(db: Db, job: JobOf<K>): Promise<TaskRecord | undefined>;
  /** The update this delivery asks for, given the task as it is now; undefined when it asks for nothing. */
  update(task: TaskRecord, job: JobOf<K>): Update | undefined;
}

const github = (login: string | undefined): Record<string, string> =>
  login ? { actor: login, actorKind: 'github' } : { actorKind: 'github' };
const byBranch = (db: Db, job: { repo: string; branch: string }) => findTaskForWebhook(db, { repo: job.repo, branch: job.branch });
/** Only the task's own open PR: another PR from the same branch (or an old one) changes nothing. */
const onOpenPr = (task: TaskRecord, prNumber: number) => task.status === 'pr_open' && task.prNumber === prNumber;

/** pull_request actions that change the PR's sub-state while the task stays `pr_open`. */
const PR_UPDATES: Partial<Record<PullRequestJob['action'], (task: TaskRecord) => Update['patch'] | undefined>> = {
  converted_to_draft: (t) => (t.prState === 'draft' ? undefined : { prState: 'draft' }),
  ready_for_review: (t) => (t.prState === 'ready' ? undefined : { prState: 'ready' }),
  // New commits: CI runs again.
  synchronize: () => ({ checksState: 'pending' }),
  reopened: (t) => (t.prState === 'ready' || t.prState === 'draft' ? undefined : { prState: 'ready' }),
};

const ACTIVITIES: { [K in Exclude<Kind, 'branch_created'>]: Activity<K> } = {
  pull_request: {
    find: (db, job) => byBranch(db, job),
    update(task, job) {
      const patch = Object.hasOwn(PR_UPDATES, job.action) ? PR_UPDATES[job.action]?.(task) : undefined;
      if (!patch || !onOpenPr(task, job.prNumber)) return undefined;
      return {
        event: 'pr_updated',
        statuses: ['pr_open'],
        prNumber: job.prNumber,
        patch,
        facts: { action: job.action },
        detail: github(job.sender),
      };
    },
  },
  pull_request_review: {
    find: (db, job) => byBranch(db, job),
    update(task, job) {
      if (!onOpenPr(task, job.prNumber)) return undefined;
      // A plain comment review is a timeline entry; it does not undo an approval or a change request.
      const patch = job.outcome === 'commented' ? {} : { reviewState: job.outcome };
      return {
        event: 'review_submitted',
        statuses: ['pr_open'],
        prNumber: job.prNumber,
        patch,
        facts: { outcome: job.outcome, reviewer: job.reviewer, url: job.url },
        detail: github(job.reviewer),
      };
    },
  },
  check_completed: {
    find: (db, job) => byBranch(db, job),
    update(task, job) {
      if (task.status !== 'pr_open' || task.prNumber === null || !job.prNumbers.includes(task.prNumber)) return undefined;
      return {
        event: 'checks_completed',
        statuses: ['pr_open'],
        prNumber: task.prNumber,
        patch: { checksState: job.conclusion, checksUrl: job.url },
        facts: { checkName: job.checkName },
        detail: github(job.sender ?? job.checkName),
      };
    },
  },
  comment: {
    find: (db, job) => findTaskByNumber(db, job.repo, job.number),
    update(task, job) {
      const ours = job.on === 'issue' ? task.githubIssueNumber === job.number : task.prNumber === job.number;
      if (!ours) return undefined;
      return {
        event: 'comment_added',
        statuses: TASK_STATUSES,
        facts: { on: job.on, number: job.number, author: job.author, body: job.body, url: job.url },
        detail: github(job.author),
      };
    },
  },
};

/**
 * Applies a delivery that records PR activity (draft/ready, reviews, CI, comments) as a
 * same-status event; returns undefined when it does not apply to any task, so the caller
 * can report why. Re-reads the task when another delivery changed it meanwhile.
 */
export async function applyActivity(
  db: Db,
  job: Exclude<WebhookJobData, { kind: 'branch_created' }>,
  log: Logger,
): Promise<string | undefined> {
  const activity = ACTIVITIES[job.kind] as Activity<typeof job.kind>;
  for (let attempt = 0; attempt < 5; attempt++) {
    const task = await activity.find(db, job);
    if (!task) return undefined;
    const update = activity.update(task, job);
    if (!update) return undefined;
    try {
      const detail = job.receivedAt ? { ...update.detail, webhookReceivedAt: job.receivedAt } : update.detail;
      const { event } = await appendEvent(db, {
        taskId: task.id,
        ...update,
        detail,
        statuses: update.statuses,
        delivery: deliveryRef(job),
      });
      log.info({ taskId: task.id, event: event.eventType, seq: event.seq }, 'webhook recorded');
      return `applied: ${event.eventType}`;
    } catch (err) {
      if (!(err instanceof StaleTransitionError)) throw err;
    }
  }
  throw new Error('the task kept changing while applying the delivery');
}
