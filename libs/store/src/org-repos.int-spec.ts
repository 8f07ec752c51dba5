import { createTestDatabase, type TestDatabase } from '@taskflow/testing';
import { createDb, type Db } from './db';
import { migrateToLatest } from './migrate';
import { addOrgRepo, findOrgRepo, findRepoOwner, listOrgRepos, removeOrgRepo, seedOrgRepos } from './org-repos';
import { seedDemo } from './seed';

/** Which org owns which repository (migration 0005), on a real database. */
let database: TestDatabase;
let db: Db;
const orgId = async (slug: string) => (await db.selectFrom('orgs').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id;

beforeAll(async () => {
  database = await createTestDatabase('orgrepos');
  db = createDb(database.url, { max: 4 });
  await migrateToLatest(db);
  await seedDemo(db, 'demo-password');
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

it('seeds the demo orgs with repositories of their own: acme/payments is acme’s, globex has its own', async () => {
  expect(await listOrgRepos(db, await orgId('acme'))).toEqual([
    { fullName: 'acme/payments', isPrivate: true, isDefault: true },
    { fullName: 'acme/web', isPrivate: false, isDefault: false },
  ]);
  expect(await listOrgRepos(db, await orgId('globex'))).toEqual([{ fullName: 'globex/portal', isPrivate: true, isDefault: true }]);
  expect(await findRepoOwner(db, 'ACME/Payments')).toEqual({ orgId: await orgId('acme'), fullName: 'acme/payments' });
  expect(await findOrgRepo(db, await orgId('globex'), 'acme/payments')).toBeUndefined();
  // A second boot adds nothing.
  await seedDemo(db, 'demo-password');
  expect(await listOrgRepos(db, await orgId('acme'))).toHaveLength(2);
});

it('gives a repository one owner, whatever its spelling', async () => {
  await expect(addOrgRepo(db, { orgId: await orgId('acme'), fullName: 'ACME/Web', isPrivate: false })).rejects.toMatchObject({
    code: 'REPO_TAKEN',
    statusCode: 409,
  });
  const added = await addOrgRepo(db, { orgId: await orgId('globex'), fullName: 'globex/api', isPrivate: false });
  expect(added).toEqual({ fullName: 'globex/api', isPrivate: false, isDefault: false });
  expect(await removeOrgRepo(db, await orgId('acme'), 'globex/api')).toBe(false);
  expect(await removeOrgRepo(db, await orgId('globex'), 'GLOBEX/API')).toBe(true);
  expect((await listOrgRepos(db, await orgId('globex'))).map((r) => r.fullName)).toEqual(['globex/portal']);
});

it('seeds from config only into an org that owns none yet, in the order given, never a repository another org owns', async () => {
  const initech = (await db.insertInto('orgs').values({ slug: 'initech', name: 'Initech' }).returning('id').executeTakeFirstOrThrow()).id;
  const result = await seedOrgRepos(db, [
    { org: 'initech', fullName: 'initech/tps' },
    { org: 'initech', fullName: 'initech/billing', isPrivate: true },
    { org: 'initech', fullName: 'ACME/web' },
    { org: 'acme', fullName: 'acme/new' },
    { org: 'nobody', fullName: 'nobody/x' },
  ]);
  expect(result).toEqual({
    added: ['initech/tps', 'initech/billing'],
    skipped: [
      { fullName: 'ACME/web', reason: 'registered to another org' },
      { fullName: 'acme/new', reason: 'org "acme" has repositories already' },
      { fullName: 'nobody/x', reason: 'no org "nobody"' },
    ],
  });
  expect(await listOrgRepos(db, initech)).toEqual([
    { fullName: 'initech/tps', isPrivate: false, isDefault: true },
    { fullName: 'initech/billing', isPrivate: true, isDefault: false },
  ]);
  // An admin removed one: a restart with the same config does not bring it back.
  await removeOrgRepo(db, initech, 'initech/tps');
  expect((await seedOrgRepos(db, [{ org: 'initech', fullName: 'initech/tps' }])).added).toEqual([]);
});

it('lets an org add repositories only under a GitHub owner it owns one under already (the seed decides), any spelling', async () => {
  // globex cannot claim acme's owner, taken repository or not: it learns nothing, and captures no deliveries.
  for (const fullName of ['acme/new', 'Acme/Payments', 'someone-else/x'])
    await expect(addOrgRepo(db, { orgId: await orgId('globex'), fullName, isPrivate: false })).rejects.toMatchObject({
      code: 'REPO_OWNER_NOT_ALLOWED',
      statusCode: 403,
      message: expect.stringContaining('the operator must seed'),
    });
  expect(await findRepoOwner(db, 'acme/new')).toBeUndefined();
  expect(await addOrgRepo(db, { orgId: await orgId('acme'), fullName: 'ACME/new', isPrivate: false })).toMatchObject({
    fullName: 'ACME/new',
  });
  // An org that owns none (no seed) can add none.
  const hooli = (await db.insertInto('orgs').values({ slug: 'hooli', name: 'Hooli' }).returning('id').executeTakeFirstOrThrow()).id;
  await expect(addOrgRepo(db, { orgId: hooli, fullName: 'hooli/app', isPrivate: false })).rejects.toMatchObject({ statusCode: 403 });
  await removeOrgRepo(db, await orgId('acme'), 'acme/new');
});

it('refuses a name that is not owner/name', async () => {
  await expect(addOrgRepo(db, { orgId: await orgId('acme'), fullName: 'not a repo', isPrivate: false })).rejects.toMatchObject({
    statusCode: 403,
  });
  // And so does the table, whoever writes it.
  await expect(
    db
      .insertInto('orgRepos')
      .values({ orgId: await orgId('acme'), fullName: 'not a repo' })
      .execute(),
  ).rejects.toThrow(/check/);
});
