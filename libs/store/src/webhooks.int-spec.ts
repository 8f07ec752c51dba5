import { DeliveryAlreadyAppliedError, StaleTransitionError } from './errors';
import { transition } from './tasks.commands';
import { createStoreFixture, type StoreFixture } from './testing';
import { deliveryOutcome, recordDelivery } from './webhooks';

let f: StoreFixture;
beforeAll(async () => {
  f = await createStoreFixture();
});
afterAll(() => f.close());

const rows = (deliveryId: string) => f.db.selectFrom('webhookDeliveries').selectAll().where('deliveryId', '=', deliveryId).execute();

describe('a webhook delivery counts as seen only once applied', () => {
  it('is recorded by the transition that applies it, in the same transaction', async () => {
    const { task } = await f.newTask(f.users.alice);
    const delivery = { deliveryId: 'dlv-applied', event: 'create' };
    expect(await deliveryOutcome(f.db, delivery.deliveryId)).toBeUndefined();
    const { task: moved } = await transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing', delivery });
    expect(await rows(delivery.deliveryId)).toEqual([expect.objectContaining({ event: 'create', outcome: 'applied', taskId: task.id })]);
    expect(await deliveryOutcome(f.db, delivery.deliveryId)).toBe('applied');

    // Applying it again writes nothing: no status change, no event, no second row.
    const again = transition(f.db, { taskId: task.id, from: 'analyzing', to: 'cancelled', event: 'cancelled', delivery });
    await expect(again).rejects.toBeInstanceOf(DeliveryAlreadyAppliedError);
    const after = await f.db.selectFrom('tasks').select(['status', 'seq']).where('id', '=', task.id).executeTakeFirstOrThrow();
    expect(after).toEqual({ status: 'analyzing', seq: moved.seq });
    expect(await rows(delivery.deliveryId)).toHaveLength(1);
  });

  it('is not recorded when its transition does not commit, so a redelivery can still apply it', async () => {
    const { task } = await f.newTask(f.users.bob);
    const delivery = { deliveryId: 'dlv-stale', event: 'pull_request' };
    await expect(
      transition(f.db, { taskId: task.id, from: 'analyzing', to: 'cancelled', event: 'cancelled', delivery }),
    ).rejects.toBeInstanceOf(StaleTransitionError);
    expect(await rows(delivery.deliveryId)).toEqual([]);
    await transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing', delivery });
    expect(await deliveryOutcome(f.db, delivery.deliveryId)).toBe('applied');
  });

  it('treats a row an older version wrote before queueing as not seen, and takes it over', async () => {
    await f.db
      .insertInto('webhookDeliveries')
      .values({ deliveryId: 'dlv-legacy', event: 'create', outcome: 'queued', taskId: null })
      .execute();
    expect(await deliveryOutcome(f.db, 'dlv-legacy')).toBeUndefined();
    expect(await recordDelivery(f.db, { deliveryId: 'dlv-legacy', event: 'create', outcome: 'ignored' })).toBe(true);
    expect(await deliveryOutcome(f.db, 'dlv-legacy')).toBe('ignored');
    expect(await recordDelivery(f.db, { deliveryId: 'dlv-legacy', event: 'create', outcome: 'applied' })).toBe(false);
  });
});
