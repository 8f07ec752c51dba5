import { createDb } from '@taskflow/store';
import { createTestDatabase, type TestDatabase } from '@taskflow/testing';
import { PostgresCounterSampler, postgresDelta } from './postgres-counters';

/** Against a real PostgreSQL: a database of this file's own, so the counts are this test's writes. */
describe('PostgresCounterSampler', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase('bench_counters');
  });
  afterAll(() => testDb?.drop());

  it('counts the rows a window inserted, updated and deleted, and its commits', async () => {
    const sampler = new PostgresCounterSampler(testDb.url);
    const db = createDb(testDb.url, { max: 1 });
    try {
      // A table outside the product's schema: the query builder untyped.
      const raw = db as any;
      await raw.schema
        .createTable('t')
        .addColumn('id', 'integer', (c: any) => c.primaryKey())
        .addColumn('v', 'integer')
        .execute();
      const before = await sampler.sample();
      await raw
        .insertInto('t')
        .values(Array.from({ length: 50 }, (_, i) => ({ id: i + 1, v: 0 })))
        .execute();
      await raw.updateTable('t').set({ v: 1 }).where('id', '<=', 20).execute();
      await raw.deleteFrom('t').where('id', '<=', 5).execute();
      // A backend reports its counts at most once a second, else after 10 s idle: wait for them, with a deadline.
      let d = postgresDelta(before, await sampler.sample());
      const deadline = Date.now() + 20_000;
      while ((d?.rowsDeleted ?? 0) < 5 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        d = postgresDelta(before, await sampler.sample());
      }
      // The table's catalog rows (its CREATE) may be reported inside the window too: a few dozen more, never fewer.
      expect([d!.rowsInserted >= 50 && d!.rowsInserted < 150, d!.rowsUpdated >= 20 && d!.rowsUpdated < 100, d!.rowsDeleted]).toEqual([
        true,
        true,
        5,
      ]);
      expect(d!.commits).toBeGreaterThanOrEqual(3);
    } finally {
      await db.destroy();
      await sampler.close();
    }
  });

  it('answers null, not an error, when PostgreSQL is not there', async () => {
    const sampler = new PostgresCounterSampler('postgres://postgres:x@127.0.0.1:1/none');
    try {
      expect(await sampler.sample()).toBeNull();
      expect(postgresDelta(null, { commits: 1, rowsInserted: 0, rowsUpdated: 0, rowsDeleted: 0 })).toBeNull();
    } finally {
      await sampler.close();
    }
  });
});
