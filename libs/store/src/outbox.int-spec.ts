import { sql } from 'kysely';
import { markPublished, unpublishedEvents } from './outbox';
import { transition } from './tasks.commands';
import { createStoreFixture, FIXTURE_PASSWORD, type StoreFixture } from './testing';
import { verifyCredentials } from './users';
import { recordDelivery } from './webhooks';

let f: StoreFixture;
beforeAll(async () => {
  f = await createStoreFixture();
});
afterAll(() => f.close());

describe('outbox', () => {
  it('lists committed events until they are marked published', async () => {
    const { task } = await f.newTask(f.users.alice);
    await transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' });
    const pending = (await unpublishedEvents(f.db)).filter((e) => e.taskId === task.id);
    expect(pending.map((e) => e.seq)).toEqual([1, 2]);
    expect(await markPublished(f.db, [{ taskId: task.id, seq: 1 }])).toBe(1);
    // Marking twice is harmless (at-least-once publishers may race).
    expect(await markPublished(f.db, [{ taskId: task.id, seq: 1 }])).toBe(0);
    expect((await unpublishedEvents(f.db)).filter((e) => e.taskId === task.id).map((e) => e.seq)).toEqual([2]);
  });

  it('leaves fresh events to their publisher when asked for older ones only', async () => {
    const { task } = await f.newTask(f.users.bob);
    expect((await unpublishedEvents(f.db, { olderThanMs: 60_000 })).some((e) => e.taskId === task.id)).toBe(false);
    await sql`update task_events set created_at = now() - interval '2 minutes' where task_id = ${task.id}`.execute(f.db);
    expect((await unpublishedEvents(f.db, { olderThanMs: 60_000 })).some((e) => e.taskId === task.id)).toBe(true);
  });
});

describe('webhook deliveries', () => {
  it('records a delivery id once', async () => {
    expect(await recordDelivery(f.db, { deliveryId: 'd-1', event: 'pull_request', outcome: 'applied' })).toBe(true);
    expect(await recordDelivery(f.db, { deliveryId: 'd-1', event: 'pull_request', outcome: 'applied' })).toBe(false);
  });
});

describe('users', () => {
  it('authenticates with the right password only, and never returns the hash', async () => {
    const user = await verifyCredentials(f.db, 'alice', FIXTURE_PASSWORD);
    expect(user).toMatchObject({ username: 'alice', orgId: f.users.alice.orgId });
    expect(user).not.toHaveProperty('passwordHash');
    expect(await verifyCredentials(f.db, 'alice', 'wrong')).toBeUndefined();
    expect(await verifyCredentials(f.db, 'nobody', FIXTURE_PASSWORD)).toBeUndefined();
  });

  it('stores passwords as scrypt hashes', async () => {
    const row = await f.db.selectFrom('users').select('passwordHash').where('username', '=', 'bob').executeTakeFirstOrThrow();
    expect(row.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(row.passwordHash).not.toContain(FIXTURE_PASSWORD);
  });
});
