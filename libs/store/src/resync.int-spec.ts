import type { KyselyPlugin } from 'kysely';
import { createStoreFixture, type StoreFixture } from './testing';
import { transition } from './tasks.commands';
import { readForResync } from './resync.queries';

let f: StoreFixture;
beforeAll(async () => {
  f = await createStoreFixture();
});
afterAll(() => f.close());

/** Counts the SQL statements a call sends (begin/commit of a transaction are not statements of ours). */
function counting() {
  let queries = 0;
  const plugin: KyselyPlugin = {
    transformQuery: (args) => ((queries += 1), args.node),
    transformResult: async (args) => args.result,
  };
  return { db: f.db.withPlugin(plugin), count: () => queries };
}

async function advance(taskId: string, times: number) {
  await transition(f.db, { taskId, from: 'received', to: 'analyzing', event: 'analyzing' });
  for (let i = 1; i < times; i++) {
    await transition(f.db, { taskId, from: 'analyzing', to: 'failed', event: 'failed', patch: { errorMessage: `x${i}` } });
    await transition(f.db, { taskId, from: 'failed', to: 'received', event: 'retried' }).catch(() => undefined);
    await transition(f.db, { taskId, from: 'received', to: 'analyzing', event: 'analyzing' }).catch(() => undefined);
  }
}

describe('readForResync', () => {
  it('answers 100 tasks with a constant number of queries, whatever their number', async () => {
    // Ten at a time: 100 at once queue on the pool past its connection timeout on a busy machine.
    const tasks: Array<Awaited<ReturnType<typeof f.newTask>>> = [];
    for (let i = 0; i < 100; i += 10) tasks.push(...(await Promise.all(Array.from({ length: 10 }, () => f.newTask(f.users.alice)))));
    await Promise.all(
      tasks.slice(0, 10).map(({ task }) => transition(f.db, { taskId: task.id, from: 'received', to: 'analyzing', event: 'analyzing' })),
    );
    const c = counting();
    const results = await readForResync(
      c.db,
      f.users.bob,
      tasks.map(({ task }) => ({ taskId: task.id, since: 1 })),
      50,
    );
    expect(c.count()).toBeLessThanOrEqual(3);
    expect(results).toHaveLength(100);
    expect(results.slice(0, 10).map((r) => r.kind === 'events' && r.events.map((e) => e.seq))).toEqual(Array(10).fill([2]));
    expect(results.slice(10).every((r) => r.kind === 'events' && r.events.length === 0)).toBe(true);
    expect(results.map((r) => r.taskId)).toEqual(tasks.map(({ task }) => task.id));
  });

  it('answers events after since, a snapshot without since or past the limit, and not_found for hidden tasks, in order', async () => {
    const { task: a } = await f.newTask(f.users.alice);
    await advance(a.id, 3); // seq 1..8
    const { task: b } = await f.newTask(f.users.alice);
    const { task: hidden } = await f.newTask(f.users.alice, { isPrivate: true });
    const missing = '00000000-0000-4000-8000-000000000000';
    const results = await readForResync(
      f.db,
      f.users.bob,
      [
        { taskId: a.id.toUpperCase(), since: 6 },
        { taskId: b.id },
        { taskId: hidden.id, since: 0 },
        { taskId: missing, since: 0 },
        { taskId: a.id, since: 2 },
      ],
      3,
    );
    expect((await readForResync(f.db, f.users.alice, [{ taskId: a.id }], 3))[0]).toMatchObject({ kind: 'state', task: { seq: 8 } });
    expect(results.map((r) => [r.taskId, r.kind])).toEqual([
      [a.id, 'events'],
      [b.id, 'state'],
      [hidden.id, 'not_found'],
      [missing, 'not_found'],
      [a.id, 'state'],
    ]);
    const [first, second, , , last] = results;
    expect(first?.kind === 'events' && first.events.map((e) => e.seq)).toEqual([7, 8]);
    expect(second?.kind === 'state' && [second.task.seq, second.events.map((e) => e.seq)]).toEqual([1, [1]]);
    // More than the limit missed: the whole timeline, consistent with the task's seq.
    expect(last?.kind === 'state' && [last.task.seq, last.events.map((e) => e.seq)]).toEqual([8, [1, 2, 3, 4, 5, 6, 7, 8]]);
    // The creator sees the private task.
    const own = await readForResync(f.db, f.users.alice, [{ taskId: hidden.id, since: 0 }], 3);
    expect(own[0]).toMatchObject({ kind: 'events', events: [{ seq: 1 }] });
  });

  it('bounds a snapshot to the latest events with snapshotLimit, saying whether older ones exist', async () => {
    const { task: a } = await f.newTask(f.users.alice);
    await advance(a.id, 3); // seq 1..8
    const seqs = (r: Awaited<ReturnType<typeof readForResync>>[number] | undefined) =>
      r?.kind === 'state' ? [r.events.map((e) => e.seq), r.hasOlder] : r?.kind;
    const [noSince, overflow] = await readForResync(f.db, f.users.bob, [{ taskId: a.id }, { taskId: a.id, since: 1 }], 3, 3);
    expect(seqs(noSince)).toEqual([[6, 7, 8], true]);
    // More missed than eventsLimit: the snapshot, bounded the same way.
    expect(seqs(overflow)).toEqual([[6, 7, 8], true]);
    expect(seqs((await readForResync(f.db, f.users.bob, [{ taskId: a.id }], 3, 8))[0])).toEqual([[1, 2, 3, 4, 5, 6, 7, 8], false]);
  });
});
