import { createStoreFixture, type StoreFixture } from '@taskflow/store/testing';
import type { KyselyPlugin } from 'kysely';
import { StatsCache } from './stats-cache';

let f: StoreFixture;
beforeAll(async () => {
  f = await createStoreFixture();
});
afterAll(() => f.close());

/** Counts statistics queries (the big CTE), not the cheap private-task probe. */
function countingDb() {
  let statsQueries = 0;
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      if (args.node.kind === 'RawNode' && JSON.stringify(args.node).includes('with visible')) statsQueries += 1;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { db: f.db.withPlugin(plugin), statsQueries: () => statsQueries };
}

describe('StatsCache', () => {
  it('serves one org from one entry for a few seconds, then reads again', async () => {
    let now = 0;
    const c = countingDb();
    const cache = new StatsCache(c.db, 5000, () => now);
    await f.newTask(f.users.alice);
    const [a, b] = await Promise.all([cache.get(f.users.alice), cache.get(f.users.bob)]);
    expect(c.statsQueries()).toBe(1);
    expect(a).toEqual(b);
    expect(a.overall.total).toBe(1);
    await f.newTask(f.users.bob);
    now = 4000;
    expect((await cache.get(f.users.bob)).overall.total).toBe(1);
    expect(c.statsQueries()).toBe(1);
    now = 5000;
    expect((await cache.get(f.users.bob)).overall.total).toBe(2);
    expect(c.statsQueries()).toBe(2);
    // Another org has its own entry and sees only its tasks.
    expect((await cache.get(f.users.carol)).overall.total).toBe(0);
    expect(cache.size).toBe(2);
  });

  it('never shows a private task to anyone but its creator, nor hides it from them', async () => {
    const cache = new StatsCache(f.db, 60_000);
    const before = (await cache.get(f.users.bob)).overall.total;
    await f.newTask(f.users.alice, { isPrivate: true, title: 'secret' });
    expect((await cache.get(f.users.alice)).overall.total).toBe(before + 1);
    expect((await cache.get(f.users.bob)).overall.total).toBe(before);
  });
});
