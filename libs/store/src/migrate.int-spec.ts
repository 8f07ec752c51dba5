import { sql } from 'kysely';
import { createTestDatabase } from '@taskflow/testing';
import { createDb } from './db';
import { migrateToLatest } from './migrate';
import { seedDemo } from './seed';

describe('migrations and seed', () => {
  it('migrate concurrently from several nodes, then are a no-op; seeding is idempotent', async () => {
    const database = await createTestDatabase('migrate');
    const dbs = [createDb(database.url), createDb(database.url), createDb(database.url)];
    try {
      const applied = await Promise.all(dbs.map((db) => migrateToLatest(db)));
      expect(applied.flat()).toEqual(['0001-initial', '0002-notifications-pr-state']);
      expect(await migrateToLatest(dbs[0]!)).toEqual([]);
      const indexes = await sql<{ indexname: string }>`select indexname from pg_indexes where tablename = 'tasks'`.execute(dbs[0]!);
      expect(indexes.rows.map((r) => r.indexname)).toEqual(
        expect.arrayContaining(['tasks_org_updated_idx', 'tasks_creator_updated_idx', 'tasks_org_status_idx']),
      );
      expect((await seedDemo(dbs[0]!, 'pw-1234')).created).toEqual(['alice', 'bob', 'carol']);
      expect((await seedDemo(dbs[0]!, 'pw-1234')).created).toEqual([]);
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
      await database.drop();
    }
  });
});
