import { CANCELLABLE_STATUSES, isEmptyFilter, toPublicTask, type CreateTaskBody, type ListTasksQuery } from '@taskflow/events';
import { AppError, type Logger } from '@taskflow/platform';
import {
  assertValidFilter,
  countFilteredTasks,
  countTasks,
  createTask,
  getTask,
  listTaskEvents,
  listOrgRepos,
  listTasks,
  transition,
  type CommittedEvent,
  type Db,
  type TaskRecord,
} from '@taskflow/store';
import type { SessionUser } from '../auth/auth.plugin';
import type { PipelineQueue } from '@taskflow/queue';
import { timelinePage } from './timeline-page';

export interface TasksServiceDeps {
  db: Db;
  queue: PipelineQueue;
  logger: Logger;
  /** Timeline events a task's detail carries (the latest); older ones come a page at a time. */
  timelinePageSize: number;
}

/**
 * The write side of tasks on API nodes: every change is one store transition;
 * slow work (analysis, GitHub) is only enqueued, after the commit.
 */
export class TasksService {
  constructor(private readonly deps: TasksServiceDeps) {}

  async create(user: SessionUser, body: CreateTaskBody) {
    const repo = await this.targetRepo(user, body);
    this.deps.queue.assertReady();
    const { task } = await createTask(this.deps.db, {
      orgId: user.orgId,
      creatorId: user.id,
      title: body.title.trim(),
      description: body.description.trim(),
      isPrivate: body.isPrivate ?? false,
      repo: repo.fullName,
      taskTypeHint: body.taskTypeHint ?? 'auto',
      filesHint: body.filesHint ?? [],
      acceptanceCriteria: body.acceptanceCriteria ?? [],
      priority: body.priority ?? 'normal',
      preferredAgent: body.preferredAgent ?? 'auto',
    });
    await this.enqueueAnalysis(task);
    return toPublicTask(task);
  }

  /** A page of the (filtered) list and the counts of the whole filtered view, not just the page. */
  async list(user: SessionUser, q: ListTasksQuery) {
    const scope = q.scope ?? 'all';
    const { scope: _s, limit, cursor, status, creator, ...rest } = q;
    const filter = { ...rest, status, creator };
    assertValidFilter(filter);
    const [page, counts] = await Promise.all([
      listTasks(this.deps.db, user, { scope, status, creatorId: creator, limit, cursor, filter: rest }),
      isEmptyFilter(filter) ? countTasks(this.deps.db, user, scope) : countFilteredTasks(this.deps.db, user, scope, filter),
    ]);
    return { tasks: page.tasks.map(toPublicTask), nextCursor: page.nextCursor, counts };
  }

  /** The task with the latest page of its timeline: a timeline grows with every comment on a public PR. */
  async get(user: SessionUser, taskId: string) {
    const found = await getTask(this.deps.db, user, taskId, { eventsLimit: this.deps.timelinePageSize });
    // Same answer for "missing" and "not yours": no existence leak.
    if (!found) throw AppError.notFound('Task not found');
    return { ...toPublicTask(found.task), ...timelinePage(found.events, found.hasOlder) };
  }

  /** The events before seq `before` (the latest without it), `limit` at most (the page size without it). */
  async events(user: SessionUser, taskId: string, q: { before?: number; limit?: number }) {
    const before = q.before ?? 2 ** 31 - 1;
    const page = await listTaskEvents(this.deps.db, user, taskId, { before, limit: q.limit ?? this.deps.timelinePageSize });
    if (!page) throw AppError.notFound('Task not found');
    return { taskId, ...timelinePage(page.events, page.hasOlder) };
  }

  async clarify(user: SessionUser, taskId: string, answers: string[]) {
    const task = await this.ownTask(user, taskId);
    if (task.status !== 'needs_clarification') {
      throw AppError.conflict('NOT_AWAITING_CLARIFICATION', `The task is ${task.status}, not waiting for clarification`);
    }
    if (answers.length !== task.clarificationQuestions.length) {
      throw AppError.badRequest(`Expected ${task.clarificationQuestions.length} answer(s), one per question, got ${answers.length}`);
    }
    this.deps.queue.assertReady();
    const committed = await this.conflictOnRace(() =>
      transition(this.deps.db, {
        taskId,
        from: 'needs_clarification',
        to: 'analyzing',
        event: 'clarified',
        patch: { clarificationAnswers: answers.map((a) => a.trim()) },
        actorId: user.id,
      }),
    );
    await this.enqueueAnalysis(committed.task);
    return toPublicTask(committed.task);
  }

  async retry(user: SessionUser, taskId: string) {
    const task = await this.ownTask(user, taskId);
    if (task.status !== 'failed') throw AppError.conflict('NOT_FAILED', `Only a failed task can be retried (this one is ${task.status})`);
    this.deps.queue.assertReady();
    const committed = await this.conflictOnRace(() =>
      transition(this.deps.db, {
        taskId,
        from: 'failed',
        to: 'received',
        event: 'retried',
        // The store clears the previous attempt (analysis, issue, branch, PR, CI) on every retry.
        actorId: user.id,
      }),
    );
    await this.enqueueAnalysis(committed.task);
    return toPublicTask(committed.task);
  }

  async cancel(user: SessionUser, taskId: string) {
    const task = await this.ownTask(user, taskId);
    if (!CANCELLABLE_STATUSES.includes(task.status)) {
      throw AppError.conflict('NOT_CANCELLABLE', `A task can be cancelled only before it is dispatched (this one is ${task.status})`);
    }
    const committed = await this.conflictOnRace(() =>
      transition(this.deps.db, { taskId, from: CANCELLABLE_STATUSES, to: 'cancelled', event: 'cancelled', actorId: user.id }),
    );
    return toPublicTask(committed.task);
  }

  /**
   * The org's own repository the task goes to (the default when it names none). Any other repository is
   * refused: its issue would carry this org's text into another org's code. A private task goes only to a
   * repository the org marked private, since its issue copies the task's text in full.
   */
  private async targetRepo(user: SessionUser, body: CreateTaskBody) {
    const repos = await listOrgRepos(this.deps.db, user.orgId);
    if (repos.length === 0) {
      throw AppError.badRequest('Your organisation has no repositories yet; an admin of it adds them (POST /api/repos)');
    }
    const wanted = body.repo?.toLowerCase();
    // Stored as the org registered it, whatever the spelling asked for (GitHub's names are case-insensitive).
    const repo = wanted ? repos.find((r) => r.fullName.toLowerCase() === wanted) : repos[0]!;
    if (!repo) {
      throw AppError.badRequest(
        `Repository "${body.repo}" is not one of your organisation's; choose one of: ${repos.map((r) => r.fullName).join(', ')}`,
      );
    }
    if ((body.isPrivate ?? false) && !repo.isPrivate) {
      throw new AppError(
        'REPO_NOT_PRIVATE',
        400,
        `A private task's text goes into its GitHub issue in full, and ${repo.fullName} is not marked private; choose a private repository or make the task public`,
      );
    }
    return repo;
  }

  /** Only the creator may act on a task; others get the same 404 as for a missing task or 403 if they can see it. */
  private async ownTask(user: SessionUser, taskId: string): Promise<TaskRecord> {
    const found = await getTask(this.deps.db, user, taskId, { eventsLimit: 0 });
    if (!found) throw AppError.notFound('Task not found');
    if (found.task.createdBy.id !== user.id) throw AppError.forbidden('Only the task creator can do this');
    return found.task;
  }

  /** The status changed between our read and the compare-and-set: report it as a conflict, not a crash. */
  private async conflictOnRace(run: () => Promise<CommittedEvent>): Promise<CommittedEvent> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof AppError && err.code === 'STALE_TRANSITION') {
        throw AppError.conflict('CONFLICT', 'The task changed meanwhile; reload and try again');
      }
      throw err;
    }
  }

  /**
   * After the commit. If Redis fails in this instant the task is not lost: the
   * worker's reconciler re-enqueues tasks left in `received`/`analyzing`.
   */
  private async enqueueAnalysis(task: TaskRecord): Promise<void> {
    try {
      await this.deps.queue.enqueueAnalysis(task.id, task.seq);
    } catch (err) {
      this.deps.logger.warn({ err, taskId: task.id }, 'enqueue failed after commit; the reconciler will pick the task up');
    }
  }
}
