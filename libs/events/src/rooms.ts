/** Room names (DESIGN D3). The spec's single global `dashboard` room is deliberately absent. */
export const rooms = {
  task: (taskId: string) => `task:${taskId}`,
  org: (orgId: string) => `org:${orgId}`,
  user: (userId: string) => `user:${userId}`,
} as const;
