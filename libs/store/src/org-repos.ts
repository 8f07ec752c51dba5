import { sql } from 'kysely';
import { REPO_OWNER_NOT_ALLOWED } from '@taskflow/events';
import { AppError } from '@taskflow/platform';
import type { Db } from './db';
import type { Executor } from './task-record';

/**
 * The repositories an org owns (org_repos): only these receive its tasks' issues, and only their
 * deliveries move its tasks. A repository has one owner; names compare case-insensitively, as on GitHub.
 */
export interface OwnedRepo {
  fullName: string;
  /** The org marked it private on GitHub: a private task's text may be copied into its issues. */
  isPrivate: boolean;
  /** The first one the org registered: where a task goes when it names none. */
  isDefault: boolean;
}

/** The org's repositories, the default (oldest) first. */
export async function listOrgRepos(db: Executor, orgId: string): Promise<OwnedRepo[]> {
  const rows = await db
    .selectFrom('orgRepos')
    .select(['fullName', 'isPrivate'])
    .where('orgId', '=', orgId)
    .orderBy('createdAt')
    .orderBy('fullName')
    .execute();
  return rows.map((r, i) => ({ ...r, isDefault: i === 0 }));
}

/** The org's repository of this name (in its stored spelling), or undefined when the org does not own it. */
export async function findOrgRepo(db: Executor, orgId: string, fullName: string): Promise<OwnedRepo | undefined> {
  return (await listOrgRepos(db, orgId)).find((r) => r.fullName.toLowerCase() === fullName.toLowerCase());
}

/** Which org owns a repository (GitHub's spelling in, ours out), or undefined when none does. */
export async function findRepoOwner(db: Executor, fullName: string): Promise<{ orgId: string; fullName: string } | undefined> {
  return db
    .selectFrom('orgRepos')
    .select(['orgId', 'fullName'])
    .where(sql<string>`lower(full_name)`, '=', fullName.toLowerCase())
    .executeTakeFirst();
}

/** The part of `owner/name` before '/', lower-cased: GitHub compares owners case-insensitively. */
const ownerOf = (fullName: string) => fullName.slice(0, fullName.indexOf('/')).toLowerCase();

/**
 * Registers a repository for an org. Dispatch acts with the deployment's one GitHub token, so an admin could
 * otherwise claim (and capture the deliveries of) any repository that token reaches: an org may add one only
 * under a GitHub owner it already owns a repository under, which only the operator's seeding establishes.
 * 403 REPO_OWNER_NOT_ALLOWED otherwise; 409 REPO_TAKEN when an org (this one or another) owns it already.
 */
export async function addOrgRepo(db: Executor, input: { orgId: string; fullName: string; isPrivate: boolean }): Promise<OwnedRepo> {
  const owner = ownerOf(input.fullName);
  if (!(await listOrgRepos(db, input.orgId)).some((r) => ownerOf(r.fullName) === owner))
    throw new AppError(
      REPO_OWNER_NOT_ALLOWED,
      403,
      `Your organisation owns no repository under "${input.fullName.split('/')[0]}"; the operator must seed one there (GITHUB_REPOS) first`,
    );
  const row = await db
    .insertInto('orgRepos')
    .values(input)
    .onConflict((oc) => oc.expression(sql`lower(full_name)`).doNothing())
    .returning(['fullName', 'isPrivate'])
    .executeTakeFirst();
  // Whether the owner is this org or another is not said: one org learns nothing about another's repositories.
  if (!row) throw AppError.conflict('REPO_TAKEN', `Repository "${input.fullName}" is already registered`);
  const all = await listOrgRepos(db, input.orgId);
  return all.find((r) => r.fullName === row.fullName)!;
}

/** Removes an org's repository; false when the org does not own it. Its existing tasks keep their repository name. */
export async function removeOrgRepo(db: Executor, orgId: string, fullName: string): Promise<boolean> {
  const res = await db
    .deleteFrom('orgRepos')
    .where('orgId', '=', orgId)
    .where(sql<string>`lower(full_name)`, '=', fullName.toLowerCase())
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** A repository to register at start-up for the org with this slug. */
export interface RepoSeed {
  org: string;
  fullName: string;
  isPrivate?: boolean;
}

/**
 * Registers repositories for a first deployment (config or demo): only into an org that owns none yet,
 * so an admin's later changes stand, and never a repository another org owns. Several nodes may run it
 * at boot: an advisory lock serialises them. Returns what it added and what it skipped, and why.
 */
export async function seedOrgRepos(
  db: Db,
  seeds: readonly RepoSeed[],
): Promise<{ added: string[]; skipped: Array<{ fullName: string; reason: string }> }> {
  const added: string[] = [];
  const skipped: Array<{ fullName: string; reason: string }> = [];
  if (seeds.length === 0) return { added, skipped };
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('taskflow:seed-org-repos'))`.execute(trx);
    const bySlug = new Map<string, RepoSeed[]>();
    for (const s of seeds) bySlug.set(s.org, [...(bySlug.get(s.org) ?? []), s]);
    for (const [slug, repos] of bySlug) {
      const org = await trx.selectFrom('orgs').select('id').where('slug', '=', slug).executeTakeFirst();
      if (!org) {
        for (const r of repos) skipped.push({ fullName: r.fullName, reason: `no org "${slug}"` });
        continue;
      }
      if ((await listOrgRepos(trx, org.id)).length > 0) {
        for (const r of repos) skipped.push({ fullName: r.fullName, reason: `org "${slug}" has repositories already` });
        continue;
      }
      for (const r of repos) {
        const owner = await findRepoOwner(trx, r.fullName);
        if (owner) {
          skipped.push({ fullName: r.fullName, reason: 'registered to another org' });
          continue;
        }
        // clock_timestamp(), not the transaction's now(): the order given is the order listed, the first the default.
        await trx
          .insertInto('orgRepos')
          .values({ orgId: org.id, fullName: r.fullName, isPrivate: r.isPrivate ?? false, createdAt: sql<Date>`clock_timestamp()` })
          .execute();
        added.push(r.fullName);
      }
    }
  });
  return { added, skipped };
}
