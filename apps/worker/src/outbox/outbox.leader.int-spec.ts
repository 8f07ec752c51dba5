import pino from 'pino';
import { unpublishedEventsOf } from '@taskflow/store';
import { createStoreFixture, type StoreFixture } from '@taskflow/store/testing';
import { eventually } from '@taskflow/testing';
import { runPublisherLeader } from './outbox.leader';
import { EventPublisher, type Broadcaster } from './outbox.publisher';

/**
 * Leader election against a real PostgreSQL: of two workers, only the holder of the advisory
 * lock publishes; once it stops, the other takes the lock and publishes what was committed meanwhile.
 */

const logger = pino({ level: 'silent' });
let f: StoreFixture;
const stops: Array<() => Promise<void>> = [];

/** A worker's publisher whose broadcaster records the broadcasts it was handed (Redis is not under test here). */
function worker() {
  const published = new Set<string>();
  const broadcaster: Broadcaster = {
    publish: async (emits) => {
      for (const emit of emits) published.add(JSON.stringify(emit));
    },
  };
  const publisher = new EventPublisher(f.db, broadcaster, logger);
  const stop = runPublisherLeader({ databaseUrl: f.url, publisher, logger, sweepEveryMs: 100, sweepOlderThanMs: 60_000 });
  stops.push(stop);
  return { published, stop, sent: (taskId: string) => [...published].some((e) => e.includes(taskId)) };
}

const newTaskPublished = async () => {
  const { task } = await f.newTask(f.users.alice);
  await eventually(`task ${task.id} published`, async () => ((await unpublishedEventsOf(f.db, task.id)).length === 0 ? true : undefined));
  return task.id;
};

beforeAll(async () => {
  f = await createStoreFixture();
});

afterAll(async () => {
  await Promise.all(stops.map((stop) => stop()));
  await f?.close();
});

it('lets one worker publish at a time, and hands over when the leader stops', async () => {
  const a = worker();
  const first = await newTaskPublished();
  expect(a.sent(first)).toBe(true);

  const b = worker();
  // B retries the lock every 100 ms while these commit and publish; it must not win it while A holds it.
  const later = [];
  for (let i = 0; i < 5; i += 1) later.push(await newTaskPublished());
  expect(later.map((id) => a.sent(id))).toEqual([true, true, true, true, true]);
  expect(b.published.size).toBe(0);

  await a.stop();
  // Committed while nobody listens: B's first sweep after taking the lock publishes it.
  const fourth = await newTaskPublished();
  expect([a.sent(fourth), b.sent(fourth)]).toEqual([false, true]);
});
