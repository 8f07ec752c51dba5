import { IDEMPOTENCY_KEY_TTL_HOURS } from '@taskflow/events';
import { KEY_TTL_MS, OfflineActionQueue, type SendFailure } from './offline-action-queue';
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

describe('OfflineActionQueue when the session is gone', () => {
  it('keeps an action refused with 401, stops sending, and sends it with its key once the same user signs in again', async () => {
    const store = memoryActionStore();
    const api = server();
    const before = new OfflineActionQueue({ store, userId: ALICE, send: api.send, now });
    const answer = await before.enqueue(TASK, { kind: 'clarify', answers: ['Checkout'] });
    await before.enqueue(TASK, { kind: 'follow', following: true });
    // Offline past the session's idle timeout: the first request after reconnecting is refused as signed out.
    api.answers.push({ status: 401, code: 'UNAUTHORIZED', message: 'Not signed in' });
    await before.flush();
    expect(before.snapshot.needsSignIn).toBe(true);
    expect(before.snapshot.outcomes).toEqual([]);
    expect(before.snapshot.pending).toHaveLength(2);
    expect(await store.all()).toHaveLength(2);
    await before.flush();
    expect(api.sent.map((s) => s.key)).toEqual([answer.key]);

    // Someone else signs in on this browser: Alice's actions are never sent on their behalf, nor dropped.
    const bob = server();
    const other = new OfflineActionQueue({ store, userId: 'b0b0b0b0-0000-4000-8000-000000000002', send: bob.send, now });
    await other.load();
    await other.flush();
    expect(bob.sent).toEqual([]);
    expect(await store.all()).toHaveLength(2);

    // Alice again (the app makes a new queue for each sign-in): both go, the answer with the key it was first sent with.
    const again = server();
    const after = new OfflineActionQueue({ store, userId: ALICE, send: again.send, now });
    await after.load();
    await after.flush();
    expect(again.sent.map((s) => [s.key, s.action.kind])).toEqual([
      [answer.key, 'clarify'],
      [expect.any(String), 'follow'],
    ]);
    expect(after.snapshot.outcomes.map((o) => o.sent)).toEqual([true, true]);
    expect(await store.all()).toEqual([]);
  });

  it('keeps an action refused for a stale CSRF token (403 CSRF_FAILED), but drops one refused with another 403', async () => {
    const api = server();
    const q = new OfflineActionQueue({ store: memoryActionStore(), userId: ALICE, send: api.send, now });
    await q.enqueue(TASK, { kind: 'cancel' });
    api.answers.push({ status: 403, code: 'CSRF_FAILED', message: 'Missing or wrong x-csrf-token header' });
    await q.flush();
    expect([q.snapshot.needsSignIn, q.snapshot.pending.length, q.snapshot.outcomes.length]).toEqual([true, 1, 0]);

    const other = server();
    const fresh = new OfflineActionQueue({ store: memoryActionStore(), userId: ALICE, send: other.send, now });
    await fresh.enqueue(TASK, { kind: 'cancel' });
    other.answers.push({ status: 403, code: 'FORBIDDEN', message: 'Only the creator can do this' });
    await fresh.flush();
    expect([fresh.snapshot.needsSignIn, fresh.snapshot.pending.length]).toEqual([false, 0]);
    expect(fresh.snapshot.outcomes.map((o) => o.message)).toEqual(['Your cancellation could not be applied: Only the creator can do this']);
  });
});

describe('OfflineActionQueue with actions older than the server keeps keys', () => {
  const HOUR = 3_600_000;

  it('does not send an action taken over IDEMPOTENCY_KEY_TTL_HOURS ago, nor the ones after it, until the user says so', async () => {
    expect(KEY_TTL_MS).toBe(IDEMPOTENCY_KEY_TTL_HOURS * HOUR);
    let t = 0;
    const api = server();
    const store = memoryActionStore();
    const q = new OfflineActionQueue({ store, userId: ALICE, send: api.send, now: () => t });
    const old = await q.enqueue(TASK, { kind: 'clarify', answers: ['Checkout'] });
    t = 2 * HOUR;
    await q.enqueue(TASK, { kind: 'follow', following: true });

    t = KEY_TTL_MS - 1;
    expect(q.snapshot.expired).toEqual([]);
    // Offline until just after the key would have expired.
    api.answers.push({ status: 0, message: 'offline' });
    await q.flush();
    t = KEY_TTL_MS;
    await q.flush();
    expect(api.sent.map((s) => s.key)).toEqual([old.key]);
    expect(q.snapshot.expired).toEqual([old.key]);
    expect(q.snapshot.pending).toHaveLength(2);

    // A reload shows it as expired too.
    const reloaded = new OfflineActionQueue({ store, userId: ALICE, send: api.send, now: () => t });
    await reloaded.load();
    expect(reloaded.snapshot.expired).toEqual([old.key]);

    await q.sendAnyway(old.key);
    expect(api.sent.map((s) => s.key)).toEqual([old.key, old.key, expect.any(String)]);
    expect(q.snapshot.pending).toEqual([]);
    expect(q.snapshot.expired).toEqual([]);
  });

  it('drops an expired action the user discards, then sends the ones behind it', async () => {
    let t = 0;
    const api = server();
    const q = new OfflineActionQueue({ store: memoryActionStore(), userId: ALICE, send: api.send, now: () => t });
    const old = await q.enqueue(TASK, { kind: 'cancel' });
    t = KEY_TTL_MS + 1;
    await q.enqueue(TASK, { kind: 'follow', following: true });
    await q.flush();
    expect(api.sent).toEqual([]);
    await q.discard(old.key);
    await q.flush();
    expect(api.sent.map((s) => s.action.kind)).toEqual(['follow']);
  });
});
