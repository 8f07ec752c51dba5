import { sql } from 'kysely';
import { createTestDatabase } from '@taskflow/testing';
import { createDb } from './db';
import { migrateToLatest } from './migrate';
import { MIGRATIONS } from './migrations';
import { seedDemo } from './seed';

describe('migrations and seed', () => {
  it('migrate concurrently from several nodes, then are a no-op; seeding is idempotent', async () => {
    const database = await createTestDatabase('migrate');
    const dbs = [createDb(database.url), createDb(database.url), createDb(database.url)];
    try {
      const applied = await Promise.all(dbs.map((db) => migrateToLatest(db)));
      // Each migration applied exactly once, whichever node got there first.
      expect(applied.flat().sort()).toEqual(Object.keys(MIGRATIONS).sort());
      expect(await migrateToLatest(dbs[0]!)).toEqual([]);
      const indexes = await sql<{ indexname: string }>`select indexname from pg_indexes where tablename = 'tasks'`.execute(dbs[0]!);
      expect(indexes.rows.map((r) => r.indexname)).toEqual(
        expect.arrayContaining(['tasks_org_updated_idx', 'tasks_creator_updated_idx', 'tasks_org_status_idx']),
      );
      expect((await seedDemo(dbs[0]!, 'pw-1234')).created).toEqual(['alice', 'bob', 'carol', 'admin', 'ops']);
      // 0007: an org's admin and a cluster operator are different roles; nothing else is one.
      const roles = await dbs[0]!
        .selectFrom('users')
        .select(['username', 'role'])
        .where('role', '!=', 'member')
        .orderBy('username')
        .execute();
      expect(roles).toEqual([
        { username: 'admin', role: 'admin' },
        { username: 'ops', role: 'operator' },
      ]);
      await expect(sql`update users set role = 'root' where username = 'ops'`.execute(dbs[0]!)).rejects.toThrow(/users_role_check/);
      expect((await seedDemo(dbs[0]!, 'pw-1234')).created).toEqual([]);
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
      await database.drop();
    }
  });
});
