import { OfflineActionQueue, type SendFailure } from './offline-action-queue';
import { memoryActionStore, type QueuedAction } from './offline-action-store';

const ALICE = 'a1a1a1a1-0000-4000-8000-000000000001';
const TASK = 't1t1t1t1-0000-4000-8000-000000000001';

/** A server stand-in at the network boundary: answers each send with what the test scripted, and records the keys. */
function server() {
  const sent: Array<Pick<QueuedAction, 'key' | 'action'>> = [];
  const answers: Array<SendFailure | 'ok'> = [];
  return {
    sent,
    answers,
    send: async (item: QueuedAction) => {
      sent.push({ key: item.key, action: item.action });
      const answer = answers.shift() ?? 'ok';
      // As the app's ApiError carries them: an Error with the status, message and conflict.
      if (answer !== 'ok') throw Object.assign(new Error(answer.message), answer);
    },
  };
}

let clock = 1_000;
const now = () => clock++;

describe('OfflineActionQueue', () => {
  it('keeps actions across a reload (a new queue on the same store), in the order taken, and only the user’s own', async () => {
    const store = memoryActionStore();
    const before = new OfflineActionQueue({ store, userId: ALICE, send: server().send, now });
    await before.enqueue(TASK, { kind: 'clarify', answers: ['Checkout'] });
    await before.enqueue(TASK, { kind: 'follow', following: true });
    await new OfflineActionQueue({ store, userId: 'someone-else', send: server().send, now }).enqueue(TASK, { kind: 'cancel' });

    const after = new OfflineActionQueue({ store, userId: ALICE, send: server().send, now });
    await after.load();
    expect(after.snapshot.pending.map((p) => p.action.kind)).toEqual(['clarify', 'follow']);
    expect(after.snapshot.pending.map((p) => p.key)).toEqual(before.snapshot.pending.map((p) => p.key));
  });

  it('sends in order with the same key on every attempt, stops while the server cannot be reached, and says it was sent', async () => {
    const api = server();
    const q = new OfflineActionQueue({ store: memoryActionStore(), userId: ALICE, send: api.send, now });
    const first = await q.enqueue(TASK, { kind: 'clarify', answers: ['Checkout'] });
    const second = await q.enqueue(TASK, { kind: 'retry' });
    api.answers.push({ status: 0, message: 'offline' });
    await q.flush();
    expect(api.sent.map((s) => s.key)).toEqual([first.key]);
    expect(q.snapshot.pending).toHaveLength(2);

    await q.flush();
    expect(api.sent.map((s) => s.key)).toEqual([first.key, first.key, second.key]);
    expect(q.snapshot.pending).toEqual([]);
    expect(q.snapshot.outcomes.map((o) => [o.sent, o.message])).toEqual([
      [true, 'Sent your answers.'],
      [true, 'Sent your retry.'],
    ]);
  });

  it('keeps an action the server is too busy for (429, 5xx), and drops one it refuses, saying where the task went', async () => {
    const api = server();
    const q = new OfflineActionQueue({ store: memoryActionStore(), userId: ALICE, send: api.send, now });
    await q.enqueue(TASK, { kind: 'clarify', answers: ['Checkout'] });
    await q.enqueue(TASK, { kind: 'cancel' });
    await q.enqueue(TASK, { kind: 'retry' });
    api.answers.push({ status: 503, message: 'busy' });
    await q.flush();
    expect(q.snapshot.pending).toHaveLength(3);

    api.answers.push(
      { status: 409, message: 'The task is dispatched, not waiting for clarification', conflict: { status: 'dispatched' } },
      { status: 409, message: 'x', conflict: { status: 'cancelled', cancelledBy: { id: 'b0b', name: 'Bob' } } },
      { status: 409, message: 'x', conflict: { status: 'cancelled', cancelledBy: { id: ALICE, name: 'Alice' } } },
    );
    await q.flush();
    expect(q.snapshot.pending).toEqual([]);
    expect(q.snapshot.outcomes.map((o) => [o.sent, o.message])).toEqual([
      [false, 'This task moved on to Dispatched while you were offline: your answers were not applied.'],
      [false, 'This task was cancelled by Bob while you were offline: your cancellation was not applied.'],
      [false, 'This task was cancelled by you while you were offline: your retry was not applied.'],
    ]);
  });

  it('never sends a discarded action, and sends once when flushed twice at the same time', async () => {
    const api = server();
    const store = memoryActionStore();
    const q = new OfflineActionQueue({ store, userId: ALICE, send: api.send, now });
    const dropped = await q.enqueue(TASK, { kind: 'clarify', answers: ['Checkout'] });
    await q.enqueue(TASK, { kind: 'follow', following: true });
    await q.discard(dropped.key);
    expect(await store.all()).toHaveLength(1);
    await Promise.all([q.flush(), q.flush()]);
    expect(api.sent.map((s) => s.action.kind)).toEqual(['follow']);
    expect(await store.all()).toEqual([]);
  });
});
