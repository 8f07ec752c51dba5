import { sql } from 'kysely';
import type { WebhookJobData } from '@taskflow/events';
import type { Db } from './db';
import { selectTasks, toTaskRecord, type TaskRecord } from './task-record';

/** Queries the pipeline's workers need (no viewer: workers act for the system). */

/**
 * A task whose org owns its repository (org_repos): only such a task can be moved by that repository's
 * deliveries. Another org's task naming the same repository is not (docs/architecture.md#repositories-belong-to-orgs).
 */
const repoOwnedByTaskOrg = sql<boolean>`exists (select 1 from org_repos r where r.org_id = t.org_id and lower(r.full_name) = lower(t.repo))`;

/**
 * The task is in this repository, whatever either spelling: ownership compares names case-insensitively, so the lookup
 * must too, or a delivery for `Acme/Payments` misses a task of `acme/payments`. Indexed by migration 0008.
 */
const inRepo = (repo: string) => sql<boolean>`lower(t.repo) = lower(${repo})`;

/**
 * The task a GitHub event is about: by its branch, else by an `#<issue>` reference,
 * always in the repository the event came from (another repository may well have
 * a branch of the same name), and only a task of the org that owns that repository.
 */
export async function findTaskForWebhook(
  db: Db,
  ref: { repo: string; branch: string; issueRefs?: readonly number[] },
): Promise<TaskRecord | undefined> {
  const byBranch = await selectTasks(db)
    .where(inRepo(ref.repo))
    .where('t.githubBranch', '=', ref.branch)
    .where(repoOwnedByTaskOrg)
    .executeTakeFirst();
  if (byBranch) return toTaskRecord(byBranch);
  if (!ref.issueRefs?.length) return undefined;
  const byIssue = await selectTasks(db)
    .where(inRepo(ref.repo))
    .where('t.githubIssueNumber', 'in', [...ref.issueRefs])
    .where(repoOwnedByTaskOrg)
    .orderBy('t.createdAt', 'desc')
    .executeTakeFirst();
  return byIssue ? toTaskRecord(byIssue) : undefined;
}

/**
 * The task a normalised GitHub delivery is about, looked up as the worker looks it up: a comment by its
 * issue or pull request number, anything else by its branch (a pull request also by its `#issue` references).
 */
export function findTaskForDelivery(db: Db, job: WebhookJobData): Promise<TaskRecord | undefined> {
  if (job.kind === 'comment') return findTaskByNumber(db, job.repo, job.number);
  return findTaskForWebhook(db, { repo: job.repo, branch: job.branch, issueRefs: job.kind === 'pull_request' ? job.issueRefs : [] });
}

/** Keeps the analyzer's answer (internal) while the task is still being analysed. */
export async function saveAnalysis(db: Db, taskId: string, analysis: unknown): Promise<boolean> {
  const res = await db
    .updateTable('tasks')
    .set({ analysis: JSON.stringify(analysis) })
    .where('id', '=', taskId)
    .where('status', '=', 'analyzing')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/**
 * Tasks sitting in `received` or `analyzing` longer than `olderThanMs`: their
 * job was lost (e.g. Redis was down when the API enqueued it) and is re-enqueued.
 */
export async function stuckTasks(
  db: Db,
  olderThanMs: number,
  limit = 100,
): Promise<Array<Pick<TaskRecord, 'id' | 'seq' | 'status' | 'retryCount'>>> {
  return db
    .selectFrom('tasks')
    .select(['id', 'seq', 'status', 'retryCount'])
    .where('status', 'in', ['received', 'analyzing'])
    .where('updatedAt', '<', sql<Date>`now() - make_interval(secs => ${olderThanMs / 1000})`)
    .orderBy('updatedAt')
    .limit(limit)
    .execute();
}

/** The task whose issue or pull request is `#number` in `repo` (comments name only the number). */
export async function findTaskByNumber(db: Db, repo: string, number: number): Promise<TaskRecord | undefined> {
  const row = await selectTasks(db)
    .where(inRepo(repo))
    .where((eb) => eb.or([eb('t.githubIssueNumber', '=', number), eb('t.prNumber', '=', number)]))
    .where(repoOwnedByTaskOrg)
    .orderBy('t.createdAt', 'desc')
    .executeTakeFirst();
  return row ? toTaskRecord(row) : undefined;
}
