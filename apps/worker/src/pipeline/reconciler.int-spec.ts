import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { sql } from 'kysely';
import { createStoreFixture, type StoreFixture } from '@taskflow/store/testing';
import { eventually, testEnv } from '@taskflow/testing';
import { loadWorkerConfig } from '../config';
import { startWorkerRuntime, type WorkerRuntime } from '../runtime';

/** The reconciler's round also sweeps the answers kept for Idempotency-Keys past their expiry (issue 21 #6). */
jest.setTimeout(60_000);

let f: StoreFixture;
let worker: WorkerRuntime | undefined;
beforeAll(async () => {
  f = await createStoreFixture();
});
afterAll(async () => {
  await worker?.stop();
  await f.close();
});

it('deletes expired Idempotency-Key answers of users who never act again, and keeps live ones', async () => {
  const userId = f.users.bob.id;
  const row = (key: string, expiresAt: ReturnType<typeof sql<Date>>) => ({
    userId,
    key,
    fingerprint: 'f',
    statusCode: 200,
    response: JSON.stringify({ following: true }),
    expiresAt,
  });
  await f.db
    .insertInto('idempotencyKeys')
    .values([row('expired-key-1', sql<Date>`now() - interval '1 minute'`), row('live-key-0001', sql<Date>`now() + interval '1 hour'`)])
    .execute();
  worker = startWorkerRuntime(
    loadWorkerConfig({
      DATABASE_URL: f.url,
      REDIS_URL: testEnv('TEST_REDIS_URL'),
      QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
      GITHUB_REPOS: 'acme/payments,acme/web',
      // A round every second.
      RECONCILE_AFTER_MS: '2000',
    }),
    pino({ level: 'silent' }),
  );
  const keys = async () =>
    (await f.db.selectFrom('idempotencyKeys').select('key').where('userId', '=', userId).execute()).map((r) => r.key);
  await eventually('the expired key swept', async () => ((await keys()).includes('expired-key-1') ? undefined : true), 30_000);
  expect(await keys()).toEqual(['live-key-0001']);
});
