import { sql } from 'kysely';
import type { Db } from '@taskflow/store';

/** Well under HAProxy's check timeout: a stalled PostgreSQL makes the probe answer "down", not hang. */
export const DATABASE_PROBE_TIMEOUT_MS = 1000;

/** Whether PostgreSQL answers `select 1` within the deadline (the query itself finishes, or fails, later). */
export async function databaseAnswers(db: Db, timeoutMs = DATABASE_PROBE_TIMEOUT_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    // After a stall of the event loop (a burst of requests) timers run before I/O: give an answer that has already
    // arrived one turn to be read, or the probe says "down" about a database that answered in time.
    timer = setTimeout(() => setImmediate(() => resolve(false)), timeoutMs);
  });
  try {
    return await Promise.race([
      sql`select 1`.execute(db).then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
