import { createTestDatabase } from '@taskflow/testing';
import { createDb, type Db } from '../db';
import { migrateToLatest } from '../migrate';
import { seedOrgRepos } from '../org-repos';
import { DEMO_REPOS } from '../seed';
import { createTask, type NewTask } from '../tasks.commands';
import { createOrg, createUser, type PublicUserRow } from '../users';

/**
 * A migrated database of its own with two orgs, their repositories and three users, for tests of
 * the store and of the apps built on it (real PostgreSQL, no mocks).
 */
export interface StoreFixture {
  db: Db;
  url: string;
  users: { alice: PublicUserRow; bob: PublicUserRow; carol: PublicUserRow };
  newTask(creator: PublicUserRow, overrides?: Partial<NewTask>): ReturnType<typeof createTask>;
  close(): Promise<void>;
}

export const FIXTURE_PASSWORD = 'correct horse';

export async function createStoreFixture(): Promise<StoreFixture> {
  const database = await createTestDatabase('store');
  const db = createDb(database.url, { max: 25 });
  await migrateToLatest(db);
  const acme = await createOrg(db, 'acme', 'Acme');
  const globex = await createOrg(db, 'globex', 'Globex');
  const [alice, bob, carol] = await Promise.all([
    createUser(db, { orgId: acme.id, username: 'alice', name: 'Alice', password: FIXTURE_PASSWORD }),
    createUser(db, { orgId: acme.id, username: 'bob', name: 'Bob', password: FIXTURE_PASSWORD }),
    createUser(db, { orgId: globex.id, username: 'carol', name: 'Carol', password: FIXTURE_PASSWORD }),
  ]);
  // The demo's repositories: acme owns acme/payments (private, its default) and acme/web, globex owns globex/portal.
  await seedOrgRepos(db, DEMO_REPOS);
  return {
    db,
    url: database.url,
    users: { alice, bob, carol },
    newTask: (creator, overrides = {}) =>
      createTask(db, {
        orgId: creator.orgId,
        creatorId: creator.id,
        title: 'Fix payment bug',
        description: 'Card payments fail when 3-D Secure is required',
        repo: 'acme/payments',
        taskTypeHint: 'auto',
        filesHint: [],
        acceptanceCriteria: [],
        priority: 'normal',
        preferredAgent: 'auto',
        isPrivate: false,
        ...overrides,
      }),
    async close() {
      await db.destroy();
      await database.drop();
    },
  };
}
