import { createDb, createOrg, hashPassword, seedOrgRepos } from '@taskflow/store';

export interface BenchUser {
  id: string;
  username: string;
  orgId: string;
}

/**
 * Creates this run's orgs (each with a repository of its own) and users straight in the database (the product has no sign-up
 * API). Every user gets the same password hash, made once by the store's own function:
 * hashing hundreds of times would cost minutes of scrypt for nothing the run measures.
 */
export async function seedUsers(
  databaseUrl: string,
  opts: { runId: string; orgs: number; users: number; password: string },
): Promise<{ users: BenchUser[]; orgIds: string[] }> {
  const db = createDb(databaseUrl, { max: 2, applicationName: 'taskflow-bench-seed' });
  try {
    const orgIds: string[] = [];
    for (let i = 0; i < opts.orgs; i++) {
      const slug = `bench-${opts.runId}-${i}`;
      const orgId = (await createOrg(db, slug, `Bench org ${i}`)).id;
      // Each org's own repository (repositories belong to one org): its tasks' default, and where their webhooks come from.
      // Seeded as the operator does (an org admin may add repositories only under an owner the org already has).
      await seedOrgRepos(db, [{ org: slug, fullName: `${slug}/app`, isPrivate: false }]);
      orgIds.push(orgId);
    }
    const passwordHash = await hashPassword(opts.password);
    const rows = Array.from({ length: opts.users }, (_, i) => ({
      orgId: orgIds[i % orgIds.length]!,
      username: `b${opts.runId}u${i}`,
      name: `Bench user ${i}`,
      passwordHash,
    }));
    const users: BenchUser[] = [];
    for (let i = 0; i < rows.length; i += 500) {
      const inserted = await db
        .insertInto('users')
        .values(rows.slice(i, i + 500))
        .returning(['id', 'username', 'orgId'])
        .execute();
      users.push(...inserted);
    }
    return { users, orgIds };
  } finally {
    await db.destroy();
  }
}
