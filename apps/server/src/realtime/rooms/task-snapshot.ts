import { taskStatePayload, type ServerEventPayload } from '@taskflow/events';
import { getTask, type Db } from '@taskflow/store';
import type { SessionUser } from '../../auth/auth.plugin';
import { timelinePage } from '../../tasks/timeline-page';

/**
 * The snapshot of a task as `task:state`, with the latest `pageSize` events of its timeline (older pages over
 * HTTP), or undefined when the user may not see it — one answer for "missing" and "forbidden" (no existence leak).
 */
export async function readTaskSnapshot(
  db: Db,
  user: SessionUser,
  taskId: string,
  pageSize: number,
): Promise<ServerEventPayload<'task:state'> | undefined> {
  const found = await getTask(db, user, taskId, { eventsLimit: pageSize });
  if (!found) return undefined;
  return taskStatePayload(found.task, timelinePage(found.events, found.hasOlder));
}
