import {
  CANCELLABLE_STATUSES,
  isEmptyFilter,
  toPublicTask,
  type CreateTaskBody,
  type ListTasksQuery,
  type PublicTask,
  type TaskStatus,
} from '@taskflow/events';
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
  StaleTransitionError,
  transition,
  type CommittedEvent,
  type Db,
  type IdempotencyClaim,
  type TaskRecord,
} from '@taskflow/store';
import type { SessionUser } from '../auth/auth.plugin';
import type { PipelineQueue } from '@taskflow/queue';
import { applyOnce, type ActionAnswer, type IdempotentRequest } from '../http/idempotency';
import { taskConflict, TaskConflictError } from './task-conflict';
import { timelinePage } from './timeline-page';

type ActionClaim = (IdempotencyClaim & { statusCode: number }) | undefined;
/** What a task action answers (202 `{ task }`), recorded with its key in the action's transaction. */
const answered = (claim: ActionClaim) => claim && { ...claim, answer: (c: CommittedEvent) => ({ task: toPublicTask(c.task) }) };

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

  /**
   * The actions answer 202 `{ task }`; with an Idempotency-Key (`idem`) each key is applied at most once per user,
   * and a repeat gets the first answer (see applyOnce).
   */
  async clarify(
    user: SessionUser,
    taskId: string,
    answers: string[],
    idem?: IdempotentRequest,
  ): Promise<ActionAnswer<{ task: PublicTask }>> {
    return applyOnce(this.deps.db, user.id, idem, 202, (claim) => this.clarifyOnce(user, taskId, answers, claim));
  }

  async retry(user: SessionUser, taskId: string, idem?: IdempotentRequest): Promise<ActionAnswer<{ task: PublicTask }>> {
    return applyOnce(this.deps.db, user.id, idem, 202, (claim) => this.retryOnce(user, taskId, claim));
  }

  async cancel(user: SessionUser, taskId: string, idem?: IdempotentRequest): Promise<ActionAnswer<{ task: PublicTask }>> {
    return applyOnce(this.deps.db, user.id, idem, 202, (claim) => this.cancelOnce(user, taskId, claim));
  }

  private async clarifyOnce(user: SessionUser, taskId: string, answers: string[], claim: ActionClaim) {
    const task = await this.ownTask(user, taskId);
    if (task.status !== 'needs_clarification') {
      throw await this.movedOn(
        taskId,
        task.status,
        'NOT_AWAITING_CLARIFICATION',
        (where) => `The task ${where}, not waiting for clarification`,
      );
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
        idempotency: answered(claim),
      }),
    );
    await this.enqueueAnalysis(committed.task);
    return { task: toPublicTask(committed.task) };
  }

  private async retryOnce(user: SessionUser, taskId: string, claim: ActionClaim) {
    const task = await this.ownTask(user, taskId);
    if (task.status !== 'failed')
      throw await this.movedOn(taskId, task.status, 'NOT_FAILED', (where) => `Only a failed task can be retried (this one ${where})`);
    this.deps.queue.assertReady();
    const committed = await this.conflictOnRace(() =>
      transition(this.deps.db, {
        taskId,
        from: 'failed',
        to: 'received',
        event: 'retried',
        // The store clears the previous attempt (analysis, issue, branch, PR, CI) on every retry.
        actorId: user.id,
        idempotency: answered(claim),
      }),
    );
    await this.enqueueAnalysis(committed.task);
    return { task: toPublicTask(committed.task) };
  }

  private async cancelOnce(user: SessionUser, taskId: string, claim: ActionClaim) {
    const task = await this.ownTask(user, taskId);
    if (!CANCELLABLE_STATUSES.includes(task.status)) {
      throw await this.movedOn(
        taskId,
        task.status,
        'NOT_CANCELLABLE',
        (where) => `A task can be cancelled only before it is dispatched (this one ${where})`,
      );
    }
    const committed = await this.conflictOnRace(() =>
      transition(this.deps.db, {
        taskId,
        from: CANCELLABLE_STATUSES,
        to: 'cancelled',
        event: 'cancelled',
        actorId: user.id,
        idempotency: answered(claim),
      }),
    );
    return { task: toPublicTask(committed.task) };
  }

  /** The 409 of an action on a task that has moved on: a sentence, and where the task is now (who cancelled it). */
  private async movedOn(taskId: string, status: TaskStatus, code: string, say: (where: string) => string): Promise<TaskConflictError> {
    const conflict = await taskConflict(this.deps.db, taskId, status);
    return new TaskConflictError(
      code,
      say(conflict.cancelledBy ? `was cancelled by ${conflict.cancelledBy.name}` : `is ${status}`),
      conflict,
    );
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
      if (err instanceof StaleTransitionError) {
        throw await this.movedOn(err.taskId, err.actual, 'CONFLICT', () => 'The task changed meanwhile; reload and try again');
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
