import { createStoreFixture, type StoreFixture } from '@taskflow/store/testing';
import { databaseAnswers } from './database-probe';

/** The readiness probe against a real PostgreSQL, when this node's event loop (not the database) was the slow one. */
let f: StoreFixture;
beforeAll(async () => {
  f = await createStoreFixture();
  // A connection in the pool, so the probe's query goes out at once.
  expect(await databaseAnswers(f.db)).toBe(true);
});
afterAll(() => f?.close());

it('says "up" when the answer arrived in time but the event loop was stalled past the deadline', async () => {
  const probe = databaseAnswers(f.db, 100);
  // Let the query be sent, then stall this thread past the deadline (a burst of requests would): PostgreSQL answers meanwhile.
  await new Promise((resolve) => setImmediate(resolve));
  const until = Date.now() + 600;
  while (Date.now() < until) {
    // busy: nothing else runs on this thread
  }
  expect(await probe).toBe(true);
});
