import { rooms } from './rooms';
import type { CodingAgent, PreferredAgent } from './task.schema';

/**
 * The agent a task goes to: the one its creator chose, else the one the analysis recommended (none before it).
 * Dispatch labels the issue with it, the task page shows it; the store's `EFFECTIVE_AGENT_SQL` says the same in SQL.
 */
export function effectiveAgent<R extends CodingAgent | null>(task: {
  preferredAgent: PreferredAgent;
  recommendedAgent: R;
}): CodingAgent | R {
  return task.preferredAgent !== 'auto' ? task.preferredAgent : task.recommendedAgent;
}

/**
 * The room a task's dashboard updates (`task:created`, its row, the counts) go to: its org's shared room, or only its
 * creator's own dashboard room when it is private (docs/architecture.md#rooms-and-authorization).
 */
export function dashboardRoomOf(task: { isPrivate: boolean; creatorId: string; orgId: string }): string {
  return task.isPrivate ? rooms.userDashboard(task.creatorId) : rooms.org(task.orgId);
}
