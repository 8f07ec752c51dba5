/** Room names (docs/architecture.md#rooms-and-authorization). There is deliberately no global `dashboard` room: dashboards join their org's room. */
export const rooms = {
  task: (taskId: string) => `task:${taskId}`,
  org: (orgId: string) => `org:${orgId}`,
  user: (userId: string) => `user:${userId}`,
  /** Every socket opened with one browser session (all its tabs): ended together on logout. */
  session: (sessionId: string) => `session:${sessionId}`,
} as const;

/**
 * Redis key prefix shared by the Socket.IO Redis adapter (server nodes) and the
 * Redis emitter (workers). They must agree, or workers' broadcasts reach no one.
 */
export const SOCKET_IO_REDIS_KEY = 'taskflow-io';

/** PostgreSQL NOTIFY channel raised (on commit) for every new task event; payload: the task id. */
export const TASK_EVENTS_CHANNEL = 'task_events';
