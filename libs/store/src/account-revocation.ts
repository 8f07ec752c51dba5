import { sql } from 'kysely';
import type { Db } from './db';

/** What a Bearer token is checked against: its `ver` claim must equal tokenVersion, and the account must be enabled. */
export interface TokenStanding {
  tokenVersion: number;
  disabled: boolean;
}

export async function tokenStanding(db: Db, userId: string): Promise<TokenStanding | undefined> {
  const row = await db.selectFrom('users').select(['tokenVersion', 'disabledAt']).where('id', '=', userId).executeTakeFirst();
  return row && { tokenVersion: row.tokenVersion, disabled: row.disabledAt !== null };
}

/**
 * Ends everything a user is signed in with: every live browser session is revoked and the token version
 * moves on, so every Bearer token issued before fails its `ver` check. One transaction: never half done.
 * Undefined when there is no such user.
 */
export async function revokeEverything(db: Db, userId: string): Promise<{ sessions: number; tokenVersion: number } | undefined> {
  return db.transaction().execute((trx) => revokeIn(trx, userId));
}

async function revokeIn(trx: Db, userId: string): Promise<{ sessions: number; tokenVersion: number } | undefined> {
  const user = await trx
    .updateTable('users')
    .set({ tokenVersion: sql<number>`token_version + 1` })
    .where('id', '=', userId)
    .returning(['tokenVersion'])
    .executeTakeFirst();
  if (!user) return undefined;
  const res = await trx
    .updateTable('sessions')
    .set({ revokedAt: sql<Date>`now()` })
    .where('userId', '=', userId)
    .where('revokedAt', 'is', null)
    .executeTakeFirst();
  return { sessions: Number(res.numUpdatedRows), tokenVersion: user.tokenVersion };
}

/**
 * Disables (or enables again) an account. Disabling also revokes every session and token it has, in the
 * same transaction; enabling gives none back (the user logs in again). Undefined when there is no such user.
 */
export async function setUserDisabled(db: Db, userId: string, disabled: boolean): Promise<{ disabledAt: Date | null } | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('users')
      .set({ disabledAt: disabled ? sql<Date>`coalesce(disabled_at, now())` : null })
      .where('id', '=', userId)
      .returning(['disabledAt'])
      .executeTakeFirst();
    if (row && disabled) await revokeIn(trx, userId);
    return row;
  });
}
