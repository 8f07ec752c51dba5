import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './db';
import type { UserRole } from './schema';

/** A live browser session with its user, as every request authenticated by the cookie sees it. */
export interface SessionRecord {
  id: string;
  expiresAt: Date;
  user: { id: string; orgId: string; username: string; name: string; role: UserRole };
}

export interface SessionLimits {
  /** Idle time after which an unused session ends. */
  idleMs: number;
  /** Hard cap from the session's start, however busy. */
  maxAgeMs: number;
}

const hash = (token: string) => createHash('sha256').update(token).digest();

/** Starts a session: the token goes into the cookie, only its hash into the database. */
export async function createSession(db: Db, userId: string, limits: SessionLimits): Promise<{ token: string; session: SessionRecord }> {
  const token = randomBytes(32).toString('base64url');
  const row = await db
    .insertInto('sessions')
    .values({ userId, tokenHash: hash(token), expiresAt: sql<Date>`now() + ${limits.idleMs} * interval '1 millisecond'` })
    .returning(['id'])
    .executeTakeFirstOrThrow();
  const session = await readSession(db, { id: row.id }, limits);
  if (!session) throw new Error('session vanished right after creation');
  return { token, session };
}

/** The live session of a cookie token (or id), or undefined when unknown, revoked, idle too long or too old. */
export async function readSession(
  db: Db,
  key: { token: string } | { id: string },
  limits: SessionLimits,
): Promise<SessionRecord | undefined> {
  let query = db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.userId')
    .select(['s.id', 's.expiresAt', 'u.id as userId', 'u.orgId', 'u.username', 'u.name', 'u.role'])
    .where('s.revokedAt', 'is', null)
    .where('u.disabledAt', 'is', null)
    .where('s.expiresAt', '>', sql<Date>`now()`)
    .where('s.createdAt', '>', sql<Date>`now() - ${limits.maxAgeMs} * interval '1 millisecond'`);
  query = 'token' in key ? query.where('s.tokenHash', '=', hash(key.token)) : query.where('s.id', '=', key.id);
  const row = await query.executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    expiresAt: row.expiresAt,
    user: { id: row.userId, orgId: row.orgId, username: row.username, name: row.name, role: row.role },
  };
}

/**
 * Slides a live session: its idle deadline moves to now + idle time (never past the hard cap).
 * Writes only when the deadline would move by more than `minStepMs`, so a busy tab does not
 * write on every request. Undefined when the session has ended meanwhile.
 */
export async function slideSession(
  db: Db,
  session: SessionRecord,
  limits: SessionLimits,
  minStepMs = Math.min(30_000, limits.idleMs / 10),
): Promise<SessionRecord | undefined> {
  if (Date.now() + limits.idleMs - session.expiresAt.getTime() < minStepMs) return session;
  const row = await db
    .updateTable('sessions')
    .set({
      lastSeenAt: sql<Date>`now()`,
      expiresAt: sql<Date>`least(now() + ${limits.idleMs} * interval '1 millisecond', created_at + ${limits.maxAgeMs} * interval '1 millisecond')`,
    })
    .where('id', '=', session.id)
    .where('revokedAt', 'is', null)
    .where('expiresAt', '>', sql<Date>`now()`)
    .returning(['expiresAt'])
    .executeTakeFirst();
  return row ? { ...session, expiresAt: row.expiresAt } : undefined;
}

/** Ends a session everywhere: every later request or socket check of it fails. */
export async function revokeSession(db: Db, id: string): Promise<boolean> {
  const res = await db
    .updateTable('sessions')
    .set({ revokedAt: sql<Date>`now()` })
    .where('id', '=', id)
    .where('revokedAt', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** A user's role, read from the database (a role change applies at once, not at the next login). */
export async function userRole(db: Db, userId: string): Promise<UserRole | undefined> {
  const row = await db.selectFrom('users').select('role').where('id', '=', userId).executeTakeFirst();
  return row?.role;
}
