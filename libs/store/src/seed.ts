import { sql } from 'kysely';
import type { Db } from './db';
import { seedOrgRepos, type RepoSeed } from './org-repos';
import { createOrg, createUser } from './users';

export const DEMO_ORGS = [
  { slug: 'acme', name: 'Acme Corp' },
  { slug: 'globex', name: 'Globex' },
] as const;

export const DEMO_USERS = [
  { username: 'alice', name: 'Alice Anders', org: 'acme' },
  { username: 'bob', name: 'Bob Brown', org: 'acme' },
  { username: 'carol', name: 'Carol Chen', org: 'globex' },
  // The demo org's admin: its users, repositories and parked jobs (/admin shows acme's jobs only).
  { username: 'admin', name: 'Ada Admin', org: 'acme', role: 'admin' },
  // The cluster operator: every node's figures and every org's jobs; no org's admin.
  { username: 'ops', name: 'Otto Ops', org: 'acme', role: 'operator' },
] as const satisfies ReadonlyArray<{ username: string; name: string; org: string; role?: 'admin' | 'operator' }>;

/** Each demo org's own repositories (the first is its default); globex cannot file tasks for acme's. */
export const DEMO_REPOS: readonly RepoSeed[] = [
  { org: 'acme', fullName: 'acme/payments', isPrivate: true },
  { org: 'acme', fullName: 'acme/web', isPrivate: false },
  { org: 'globex', fullName: 'globex/portal', isPrivate: true },
];

/**
 * Creates the demo orgs and users that do not exist yet, and the demo repositories of an org that has
 * none; existing ones are left untouched. Several nodes may call it at boot: advisory locks serialise them.
 */
export async function seedDemo(db: Db, password: string): Promise<{ created: string[] }> {
  const seeded = await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('taskflow:seed-demo'))`.execute(trx);
    return seedInside(trx, password);
  });
  await seedOrgRepos(db, DEMO_REPOS);
  return seeded;
}

async function seedInside(db: Db, password: string): Promise<{ created: string[] }> {
  const created: string[] = [];
  const orgIds = new Map<string, string>();
  for (const org of DEMO_ORGS) {
    const existing = await db.selectFrom('orgs').select('id').where('slug', '=', org.slug).executeTakeFirst();
    orgIds.set(org.slug, existing?.id ?? (await createOrg(db, org.slug, org.name)).id);
  }
  for (const user of DEMO_USERS) {
    const existing = await db.selectFrom('users').select('id').where('username', '=', user.username).executeTakeFirst();
    if (existing) continue;
    await createUser(db, {
      orgId: orgIds.get(user.org)!,
      username: user.username,
      name: user.name,
      password,
      role: 'role' in user ? user.role : 'member',
    });
    created.push(user.username);
  }
  return { created };
}
