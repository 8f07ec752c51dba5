/** Room names (docs/architecture.md#rooms-and-authorization). There is deliberately no global `dashboard` room: dashboards join their org's room. */
export const rooms = {
  task: (taskId: string) => `task:${taskId}`,
  org: (orgId: string) => `org:${orgId}`,
  user: (userId: string) => `user:${userId}`,
  /**
   * The dashboard rows, counts and `task:created` of the user's private tasks: joined with the org's room on
   * `dashboard:join` and left with it, so a page that shows no dashboard (a task page) gets none of them.
   */
  userDashboard: (userId: string) => `user-dashboard:${userId}`,
  /** Every socket opened with one browser session (all its tabs): ended together on logout. */
  session: (sessionId: string) => `session:${sessionId}`,
} as const;

/** The task id of a task room's name (`task:<id>`), else undefined: which tasks a socket has joined. */
export function taskIdOfRoom(room: string): string | undefined {
  return room.startsWith('task:') ? room.slice('task:'.length) : undefined;
}
