/**
 * Task ids are UUIDs, which PostgreSQL accepts in any case but returns in lower
 * case; rooms, presence keys and resync maps compare them as strings, so every
 * id a client sends is lower-cased before it is used.
 */
export function normaliseTaskId(taskId: string): string {
  return taskId.toLowerCase();
}
