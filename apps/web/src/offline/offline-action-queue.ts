import { CSRF_FAILED, IDEMPOTENCY_KEY_TTL_HOURS, type TaskConflict } from '@taskflow/events';
import { STATUS_LABELS } from '../status-style';
import { newActionKey, type ActionStore, type OfflineAction, type QueuedAction } from './offline-action-store';

/** How a sent action ended: applied (or the server's first answer to its key), or refused (with why). */
export interface ActionOutcome {
  key: string;
  taskId: string;
  action: OfflineAction;
  sent: boolean;
  message: string;
}

/** A refusal as the API gives it: the HTTP status (0: not reached), its sentence, and where the task is now. */
export interface SendFailure {
  status: number;
  /** The API's `error` code (CSRF_FAILED, …). */
  code?: string;
  message: string;
  conflict?: TaskConflict;
}

export interface OfflineActionQueueOptions {
  store: ActionStore;
  userId: string;
  /** Sends one action with its key as Idempotency-Key; rejects with a SendFailure-like error. */
  send: (item: QueuedAction) => Promise<void>;
  newKey?: () => string;
  now?: () => number;
}

export interface QueueState {
  pending: readonly QueuedAction[];
  outcomes: readonly ActionOutcome[];
  /** Keys of pending actions older than the server keeps keys: sent only when the user says so (sendAnyway). */
  expired: readonly string[];
  /** The session ended (or its CSRF token went stale): nothing is sent until the user signs in again or reloads. */
  needsSignIn: boolean;
}

/** How long the server remembers a key (the contract's IDEMPOTENCY_KEY_TTL_HOURS), in ms. */
export const KEY_TTL_MS = IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000;

const WHAT: Record<OfflineAction['kind'], (a: OfflineAction) => string> = {
  clarify: () => 'your answers',
  retry: () => 'your retry',
  cancel: () => 'your cancellation',
  follow: (a) => ((a as { following: boolean }).following ? 'following it' : 'unfollowing it'),
};

/** What a queued action is, in a few words ("your answers"). */
export const describeAction = (action: OfflineAction): string => WHAT[action.kind](action);

/** The sentence for an action the server refused: where the task went while the page was offline, or the server's own. */
function refusalMessage(item: QueuedAction, failure: SendFailure): string {
  const what = describeAction(item.action);
  const c = failure.conflict;
  if (!c) return `${what[0]!.toUpperCase()}${what.slice(1)} could not be applied: ${failure.message}`;
  const by =
    c.cancelledBy === undefined
      ? ''
      : ` by ${c.cancelledBy === null ? 'the system' : c.cancelledBy.id === item.userId ? 'you' : c.cancelledBy.name}`;
  const where = c.status === 'cancelled' ? `was cancelled${by}` : `moved on to ${STATUS_LABELS[c.status]}`;
  return `This task ${where} while you were offline: ${what} ${item.action.kind === 'clarify' ? 'were' : 'was'} not applied.`;
}

/** Not reached (offline), or the server cannot take it now: send the action again later, with the same key. */
const retryLater = (f: SendFailure) => f.status === 0 || f.status === 429 || f.status >= 500;

/**
 * The request was not judged at all: the session expired (say, while offline past its idle timeout) or its CSRF token
 * is stale. The action stays, with its key, for when the same user is signed in again.
 */
const sessionLost = (f: SendFailure) => f.status === 401 || (f.status === 403 && f.code === CSRF_FAILED);

/**
 * An action taken longer ago than the server keeps keys: if an attempt arrived and only its answer was lost, its key
 * may have expired, and sending it again would apply it twice. Every attempt came after it was taken (or confirmed), so
 * measuring from then is on the safe side.
 */
const isExpired = (item: QueuedAction, now: number) => now - (item.confirmedAt ?? item.queuedAt) >= KEY_TTL_MS;

/**
 * The page's queue of a user's task actions: kept in `store` (IndexedDB) from the moment they are taken, sent one at a
 * time in the order taken by flush(), each with its own key, so an action sent twice (a lost answer, a reload) is
 * applied once. An action the server refuses (the task moved on) leaves the queue with an outcome saying why.
 */
export class OfflineActionQueue {
  private state: QueueState = { pending: [], outcomes: [], expired: [], needsSignIn: false };
  private readonly listeners = new Set<() => void>();
  private flushing: Promise<void> | null = null;
  private readonly discarded = new Set<string>();

  constructor(private readonly opts: OfflineActionQueueOptions) {}

  get snapshot(): QueueState {
    return this.state;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads what a previous page (before a reload) left queued for this user. */
  async load(): Promise<void> {
    const mine = (await this.opts.store.all()).filter((i) => i.userId === this.opts.userId);
    const known = new Set(this.state.pending.map((i) => i.key));
    this.set({ pending: sortByTime([...this.state.pending, ...mine.filter((i) => !known.has(i.key))]) });
  }

  /** Keeps the action (persisted before this resolves); `key` reuses the key of an attempt that may have arrived. */
  async enqueue(taskId: string, action: OfflineAction, key?: string): Promise<QueuedAction> {
    const item: QueuedAction = {
      key: key ?? this.opts.newKey?.() ?? newActionKey(),
      userId: this.opts.userId,
      taskId,
      action,
      queuedAt: this.now(),
    };
    await this.opts.store.put(item);
    this.set({ pending: sortByTime([...this.state.pending, item]) });
    return item;
  }

  /** The user changed their mind: the action is never sent (unless it is being sent this instant). */
  async discard(key: string): Promise<void> {
    this.discarded.add(key);
    await this.opts.store.delete(key);
    this.set({ pending: this.state.pending.filter((i) => i.key !== key) });
  }

  dismissOutcome(key: string): void {
    this.set({ outcomes: this.state.outcomes.filter((o) => o.key !== key) });
  }

  /**
   * The user still wants an expired action: it is sent with its own key (a server that still has the key answers with
   * the first answer instead of applying it again), and counts as taken now.
   */
  async sendAnyway(key: string): Promise<void> {
    const item = this.state.pending.find((i) => i.key === key);
    if (!item) return;
    const confirmed = { ...item, confirmedAt: this.now() };
    await this.opts.store.put(confirmed);
    this.set({ pending: this.state.pending.map((i) => (i.key === key ? confirmed : i)) });
    await this.flush();
  }

  /**
   * Sends the queued actions in order; stops at the first that cannot be sent now (offline, server busy), at an expired
   * one (until the user decides), and for good once the session is gone (a new queue comes with the next sign-in).
   */
  flush(): Promise<void> {
    if (this.state.needsSignIn) return Promise.resolve();
    this.flushing ??= this.sendAll().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async sendAll(): Promise<void> {
    for (;;) {
      const item = this.state.pending[0];
      if (!item) return;
      // Kept in the order taken: later actions wait behind an expired one.
      if (isExpired(item, this.now())) return this.set({});
      let outcome: ActionOutcome;
      try {
        await this.opts.send(item);
        outcome = { key: item.key, taskId: item.taskId, action: item.action, sent: true, message: `Sent ${describeAction(item.action)}.` };
      } catch (err) {
        const failure = err as SendFailure;
        if (retryLater(failure)) return;
        if (sessionLost(failure)) return this.set({ needsSignIn: true });
        outcome = { key: item.key, taskId: item.taskId, action: item.action, sent: false, message: refusalMessage(item, failure) };
      }
      await this.opts.store.delete(item.key);
      const wasDiscarded = this.discarded.delete(item.key);
      this.set({
        pending: this.state.pending.filter((i) => i.key !== item.key),
        outcomes: wasDiscarded ? this.state.outcomes : [...this.state.outcomes, outcome],
      });
    }
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private set(change: Partial<Omit<QueueState, 'expired'>>): void {
    const next = { ...this.state, ...change };
    const now = this.now();
    const expired = next.pending.filter((i) => isExpired(i, now)).map((i) => i.key);
    const same = sameKeys(expired, this.state.expired);
    // A flush that only looked (nothing sent, nothing newly expired) changes nothing: no render.
    if (same && Object.keys(change).length === 0) return;
    this.state = { ...next, expired: same ? this.state.expired : expired };
    for (const l of this.listeners) l();
  }
}

const sortByTime = (items: QueuedAction[]) => [...items].sort((a, b) => a.queuedAt - b.queuedAt || a.key.localeCompare(b.key));
const sameKeys = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((k, i) => k === b[i]);
