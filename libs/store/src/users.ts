import type { Db } from './db';
import { hashPassword, verifyPassword } from './passwords';
import type { OrgRow, UserRole, UserRow } from './schema';

export type PublicUserRow = Omit<UserRow, 'passwordHash' | 'tokenVersion' | 'disabledAt'>;
/** A user whose password was right: whether the account is disabled, and the token version a new token carries. */
export type CheckedUserRow = PublicUserRow & Pick<UserRow, 'tokenVersion' | 'disabledAt'>;

export async function createOrg(db: Db, slug: string, name: string): Promise<OrgRow> {
  return db.insertInto('orgs').values({ slug, name }).returningAll().executeTakeFirstOrThrow();
}

export async function createUser(
  db: Db,
  input: { orgId: string; username: string; name: string; password: string; role?: UserRole },
): Promise<PublicUserRow> {
  const passwordHash = await hashPassword(input.password);
  return db
    .insertInto('users')
    .values({ orgId: input.orgId, username: input.username, name: input.name, passwordHash, role: input.role ?? 'member' })
    .returning(['id', 'orgId', 'username', 'name', 'createdAt', 'role'])
    .executeTakeFirstOrThrow();
}

export async function findUserById(db: Db, id: string): Promise<PublicUserRow | undefined> {
  return db.selectFrom('users').select(['id', 'orgId', 'username', 'name', 'createdAt', 'role']).where('id', '=', id).executeTakeFirst();
}

// Verifying against a fixed hash when the user is unknown keeps the timing of
// "no such user" and "wrong password" alike.
let dummyHash: Promise<string> | undefined;

/** The user for these credentials, or undefined; never says which part was wrong. */
export async function verifyCredentials(db: Db, username: string, password: string): Promise<CheckedUserRow | undefined> {
  const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  if (!row) {
    dummyHash ??= hashPassword('not-a-real-password');
    await verifyPassword(password, await dummyHash);
    return undefined;
  }
  if (!(await verifyPassword(password, row.passwordHash))) return undefined;
  const { passwordHash: _hash, ...user } = row;
  return user;
}
