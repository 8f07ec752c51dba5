import { userRole, type Db } from '@taskflow/store';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Who may disable (or enable) an account: an admin of the target's org, never on their own account. The one
 * place this is decided, read from the database on every call (a demotion applies at once); when admins become
 * per-org roles (migration 0007), this function follows and its callers do not change.
 */
export async function mayManageUser(db: Db, actorId: string, targetId: string): Promise<boolean> {
  if (!UUID.test(targetId) || actorId === targetId) return false;
  if ((await userRole(db, actorId)) !== 'admin') return false;
  const orgs = await db.selectFrom('users').select(['id', 'orgId']).where('id', 'in', [actorId, targetId]).execute();
  return orgs.length === 2 && orgs[0]!.orgId === orgs[1]!.orgId;
}
