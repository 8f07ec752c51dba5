import { sql } from 'kysely';
import { withDeadline } from '@taskflow/platform';
import type { Db } from '@taskflow/store';

/** Well under HAProxy's check timeout: a stalled PostgreSQL makes the probe answer "down", not hang. */
const DATABASE_PROBE_TIMEOUT_MS = 1000;

/** Whether PostgreSQL answers `select 1` within the deadline (the query itself finishes, or fails, later). */
export async function databaseAnswers(db: Db, timeoutMs = DATABASE_PROBE_TIMEOUT_MS): Promise<boolean> {
  // withDeadline reads an answer that arrived during a stall of the event loop (a burst of requests) before its late
  // timer: the probe does not say "down" about a database that answered in time.
  return withDeadline(sql`select 1`.execute(db), timeoutMs).then(
    () => true,
    () => false,
  );
}
