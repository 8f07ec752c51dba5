import type { TaskConflict, TaskStatus } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import type { Db } from '@taskflow/store';

/** A 409 of a task action whose task is no longer where the action needs it; the answer carries `conflict`. */
export class TaskConflictError extends AppError {
  constructor(
    code: string,
    message: string,
    readonly conflict: TaskConflict,
  ) {
    super(code, 409, message);
  }
}

/**
 * Where the task is now, for the sentence a page shows ("moved on to …", "cancelled by …"): the status, and for a
 * cancelled task who cancelled it (the actor of its latest `cancelled` event).
 */
export async function taskConflict(db: Db, taskId: string, status: TaskStatus): Promise<TaskConflict> {
  if (status !== 'cancelled') return { status };
  const by = await db
    .selectFrom('taskEvents as e')
    .leftJoin('users as u', 'u.id', 'e.actorId')
    .select(['u.id', 'u.name'])
    .where('e.taskId', '=', taskId)
    .where('e.eventType', '=', 'cancelled')
    .orderBy('e.seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return { status, cancelledBy: by?.id && by.name ? { id: by.id, name: by.name } : null };
}
