import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_TTL_HOURS } from '@taskflow/events';
import { api, ApiError } from '../api/client';
import { useSession } from '../auth/session';
import { useWebSocket } from '../realtime/socket';
import { useOnlineStatus } from '../realtime/use-online-status';
import { OfflineActionQueue, type ActionOutcome, type QueueState } from './offline-action-queue';
import {
  indexedDbActionStore,
  memoryActionStore,
  newActionKey,
  type ActionStore,
  type OfflineAction,
  type QueuedAction,
} from './offline-action-store';

/** While actions wait and the page is online, how often it tries again (a busy server, a proxy that drops requests). */
const RETRY_MS = 5_000;

export interface OfflineActions {
  /** The user's actions waiting to be sent, oldest first; outcomes of the ones sent from the queue. */
  pending: readonly QueuedAction[];
  outcomes: readonly ActionOutcome[];
  /** Keys of pending actions taken longer ago than the server keeps keys: sent only after sendAnyway. */
  expired: readonly string[];
  /** The session ended before they were sent: they wait for the same user to sign in again. */
  needsSignIn: boolean;
  /**
   * Does the action now when the page is online (with an Idempotency-Key), or keeps it to send on reconnect:
   * `queued` when it was kept (offline, or the server could not be reached). Rejects (ApiError) when refused.
   */
  perform(taskId: string, action: OfflineAction): Promise<'sent' | 'queued'>;
  discard(key: string): Promise<void>;
  /** Sends an expired action after all (the user confirmed it). */
  sendAnyway(key: string): Promise<void>;
  dismiss(key: string): void;
}

/** One action as the API takes it, with its key: the same key on every attempt, so it is applied once. */
function sendAction(item: Pick<QueuedAction, 'key' | 'taskId' | 'action'>): Promise<unknown> {
  const headers = { [IDEMPOTENCY_KEY_HEADER]: item.key };
  const path = `/api/tasks/${item.taskId}`;
  const { action } = item;
  switch (action.kind) {
    case 'clarify':
      return api('POST', `${path}/clarify`, { answers: action.answers }, headers);
    case 'retry':
    case 'cancel':
      return api('POST', `${path}/${action.kind}`, undefined, headers);
    case 'follow':
      return api(action.following ? 'POST' : 'DELETE', `${path}/follow`, undefined, headers);
  }
}

const EMPTY: QueueState = { pending: [], outcomes: [], expired: [], needsSignIn: false };
const noSubscribe = () => () => undefined;

/** Without the provider (a page rendered alone): actions are sent at once, with a key, and never kept. */
const DIRECT: OfflineActions = {
  ...EMPTY,
  perform: async (taskId, action) => {
    await sendAction({ key: newActionKey(), taskId, action });
    return 'sent';
  },
  discard: async () => undefined,
  sendAnyway: async () => undefined,
  dismiss: () => undefined,
};

// The queue of the signed-in user, as OfflineActionsSync publishes it (a component of its own, so the app's tree of
// providers stays as it is); DIRECT while none runs.
let active: OfflineActions = DIRECT;
const listeners = new Set<() => void>();
const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => void listeners.delete(listener);
};
function publish(value: OfflineActions): void {
  active = value;
  for (const l of listeners) l();
}

let browserStore: ActionStore | undefined;
/** IndexedDB when the browser has it (the queue survives a reload), else memory (it lasts as long as the page). */
const defaultStore = () => (browserStore ??= typeof indexedDB === 'undefined' ? memoryActionStore() : indexedDbActionStore());

/**
 * Runs the signed-in user's queue of task actions (issue 21 #6): taken while offline they are kept in IndexedDB and
 * shown as pending, then sent on reconnect in the order taken, each with its Idempotency-Key. Once, below RealtimeProvider.
 */
export function OfflineActionsSync({ store }: { store?: ActionStore }) {
  const { session } = useSession();
  const { status } = useWebSocket();
  const online = useOnlineStatus();
  const userId = session?.user.id;
  const queue = useMemo(
    () =>
      userId ? new OfflineActionQueue({ store: store ?? defaultStore(), userId, send: async (i) => void (await sendAction(i)) }) : null,
    [userId, store],
  );
  const state = useSyncExternalStore(queue ? (l) => queue.subscribe(l) : noSubscribe, () => queue?.snapshot ?? EMPTY);
  const canSend = online && status !== 'offline';
  useEffect(() => {
    // What a page before a reload left queued; sent below once the page can.
    void queue?.load().catch(() => undefined);
  }, [queue]);
  const waiting = state.pending.length > 0;
  useEffect(() => {
    if (!queue || !canSend || !waiting) return;
    // On reconnect (the socket is back, or the browser online) and then every few seconds while any action waits.
    void queue.flush();
    const timer = setInterval(() => void queue.flush(), RETRY_MS);
    return () => clearInterval(timer);
  }, [queue, canSend, waiting, status]);

  const value = useMemo<OfflineActions>(() => {
    if (!queue) return DIRECT;
    return {
      ...state,
      async perform(taskId, action) {
        // Behind earlier actions, or offline: kept, in order.
        if (!canSend || queue.snapshot.pending.length > 0) {
          await queue.enqueue(taskId, action);
          if (canSend) void queue.flush();
          return 'queued';
        }
        const key = newActionKey();
        try {
          await sendAction({ key, taskId, action });
          return 'sent';
        } catch (err) {
          // Not reached: it may still have arrived, so it is kept with the same key (applied once either way).
          if (err instanceof ApiError && err.status === 0) {
            await queue.enqueue(taskId, action, key);
            return 'queued';
          }
          throw err;
        }
      },
      discard: (key) => queue.discard(key),
      sendAnyway: (key) => queue.sendAnyway(key),
      dismiss: (key) => queue.dismissOutcome(key),
    };
  }, [queue, state, canSend]);
  useEffect(() => {
    publish(value);
    return () => publish(DIRECT);
  }, [value]);
  const n = state.pending.length;
  const stale = state.expired.length;
  // On every page, not only the task's: what is still to be sent from this browser.
  return n > 0 ? (
    <p className="pending-badge" role="status" data-testid="pending-badge">
      {n === 1 ? '1 action' : `${n} actions`} waiting to be sent
      {state.needsSignIn && ': sign in again (or reload) to send them'}
      {!state.needsSignIn &&
        stale > 0 &&
        `: ${stale} older than ${IDEMPOTENCY_KEY_TTL_HOURS} hours ${stale === 1 ? 'waits' : 'wait'} for you`}
    </p>
  ) : null;
}

/** The user's queued actions and how to act: through the queue when OfflineActionsSync runs, else sent directly. */
export function useOfflineActions(): OfflineActions {
  return useSyncExternalStore(subscribe, () => active);
}
