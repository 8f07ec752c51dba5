import type { Db } from '@taskflow/store';
import { isOrgAdmin } from './admin-access.policy';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Who may disable (or enable) an account: an admin of the target's org (admin-access.policy.ts decides who
 * that is: an operator is no org's admin), never on their own account, never on the cluster operator's (an org's
 * admin could otherwise lock the cluster out of its operations view).
 */
export async function mayManageUser(db: Db, actorId: string, targetId: string): Promise<boolean> {
  if (!UUID.test(targetId) || actorId === targetId) return false;
  const target = await db.selectFrom('users').select(['orgId', 'role']).where('id', '=', targetId).executeTakeFirst();
  return target !== undefined && target.role !== 'operator' && (await isOrgAdmin(db, actorId, target.orgId));
}
