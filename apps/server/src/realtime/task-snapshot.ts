import { toPublicTask, toTimelineEvent, type ServerEventPayload } from '@taskflow/events';
import { getTask, type Db } from '@taskflow/store';
import type { SessionUser } from '../auth/auth.plugin';

/**
 * The snapshot of a task as `task:state`, or undefined when the user may not
 * see it — one answer for "missing" and "forbidden" (no existence leak).
 */
export async function readTaskSnapshot(db: Db, user: SessionUser, taskId: string): Promise<ServerEventPayload<'task:state'> | undefined> {
  const found = await getTask(db, user, taskId);
  if (!found) return undefined;
  return { taskId, seq: found.task.seq, task: toPublicTask(found.task), events: found.events.map(toTimelineEvent) };
}
