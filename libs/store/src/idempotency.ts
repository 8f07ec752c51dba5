import { sql } from 'kysely';
import { IDEMPOTENCY_KEY_TTL_HOURS } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import type { Db } from './db';
import type { Executor } from './task-record';

/** What an action is asked to do once: the user's key and what the request was (hashed). */
export interface IdempotencyClaim {
  userId: string;
  key: string;
  fingerprint: string;
}

/** The first answer to a key, as the client got it. */
export interface IdempotentAnswer {
  fingerprint: string;
  statusCode: number;
  body: unknown;
}

/** Another request with this key committed first (they ran side by side); nothing of this one was written. */
export class IdempotencyKeyTakenError extends AppError {
  constructor(readonly key: string) {
    super('IDEMPOTENCY_KEY_TAKEN', 409, 'Another request with this Idempotency-Key was applied meanwhile', { key });
  }
}

/** The stored first answer to the user's key, unless there is none or it has expired. */
export async function findIdempotentAnswer(db: Executor, userId: string, key: string): Promise<IdempotentAnswer | undefined> {
  const row = await db
    .selectFrom('idempotencyKeys')
    .select(['fingerprint', 'statusCode', 'response'])
    .where('userId', '=', userId)
    .where('key', '=', key)
    .where('expiresAt', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return row && { fingerprint: row.fingerprint, statusCode: row.statusCode, body: row.response };
}

/**
 * Records the answer of an action in the action's own transaction, so the key counts as used exactly when the
 * action is committed. A live row for the key (another request committed it first) throws IdempotencyKeyTakenError,
 * which rolls the action back; a concurrent one waits on the key's unique index until that one ends. An expired row
 * is taken over. The user's other expired keys go on the way (the primary key's user prefix finds them).
 */
export async function recordIdempotentAnswer(
  trx: Executor,
  claim: IdempotencyClaim,
  answer: { statusCode: number; body: unknown },
): Promise<void> {
  const expiresAt = sql<Date>`now() + make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS})`;
  const values = { fingerprint: claim.fingerprint, statusCode: answer.statusCode, response: JSON.stringify(answer.body) };
  const row = await trx
    .insertInto('idempotencyKeys')
    .values({ userId: claim.userId, key: claim.key, ...values, expiresAt })
    .onConflict((oc) =>
      oc
        .columns(['userId', 'key'])
        .doUpdateSet({ ...values, createdAt: sql`now()`, expiresAt })
        .where('idempotencyKeys.expiresAt', '<=', sql<Date>`now()`),
    )
    .returning('key')
    .executeTakeFirst();
  if (!row) throw new IdempotencyKeyTakenError(claim.key);
  await trx
    .deleteFrom('idempotencyKeys')
    .where('userId', '=', claim.userId)
    .where('expiresAt', '<=', sql<Date>`now()`)
    .execute();
}

/** Deletes up to `limit` expired keys of any user (for users who never act again); returns how many. */
export async function deleteExpiredIdempotencyKeys(db: Db, limit = 1000): Promise<number> {
  const result = await sql`
    DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT ${limit})
  `.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
