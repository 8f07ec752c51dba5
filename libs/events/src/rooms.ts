/** Room names (docs/architecture.md#rooms-and-authorization). There is deliberately no global `dashboard` room: dashboards join their org's room. */
export const rooms = {
  task: (taskId: string) => `task:${taskId}`,
  org: (orgId: string) => `org:${orgId}`,
  user: (userId: string) => `user:${userId}`,
  /** Every socket opened with one browser session (all its tabs): ended together on logout. */
  session: (sessionId: string) => `session:${sessionId}`,
} as const;
