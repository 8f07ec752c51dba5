/** An action the user took on a task, to send with its Idempotency-Key (the same key on every attempt). */
export type OfflineAction =
  { kind: 'clarify'; answers: string[] } | { kind: 'retry' } | { kind: 'cancel' } | { kind: 'follow'; following: boolean };

export interface QueuedAction {
  /** The Idempotency-Key: the server applies it at most once, however often it is sent. */
  key: string;
  /** Whose action it is: another login in this browser never sends it. */
  userId: string;
  taskId: string;
  action: OfflineAction;
  /** When it was taken (ms since the epoch); actions are sent in this order. */
  queuedAt: number;
  /** When the user chose to send it anyway after it expired (see OfflineActionQueue.sendAnyway). */
  confirmedAt?: number;
}

/** Where queued actions are kept: IndexedDB in the browser (they survive a reload), memory in tests. */
export interface ActionStore {
  all(): Promise<QueuedAction[]>;
  put(item: QueuedAction): Promise<void>;
  delete(key: string): Promise<void>;
}

/** A fresh Idempotency-Key: 128 random bits in hex (crypto.randomUUID is missing on plain-HTTP origins). */
export function newActionKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

const DB_NAME = 'taskflow-offline';
const STORE = 'actions';

const done = <T>(req: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });

/** The raw IndexedDB API in one place (no library is installed for it): one object store keyed by the action's key. */
export function indexedDbActionStore(factory: IDBFactory = indexedDB): ActionStore {
  let opened: Promise<IDBDatabase> | undefined;
  const db = () => {
    opened ??= new Promise<IDBDatabase>((resolve, reject) => {
      const req = factory.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key' });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => {
        opened = undefined;
        reject(req.error ?? new Error('IndexedDB could not be opened'));
      };
    });
    return opened;
  };
  // A write counts once its transaction has committed: only then does it survive a reload.
  const write = async (change: (store: IDBObjectStore) => void) => {
    const tx = (await db()).transaction(STORE, 'readwrite');
    change(tx.objectStore(STORE));
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('IndexedDB write failed'));
    });
  };
  return {
    all: async () => (await done((await db()).transaction(STORE, 'readonly').objectStore(STORE).getAll())) as QueuedAction[],
    put: (item) => write((s) => s.put(item)),
    delete: (key) => write((s) => s.delete(key)),
  };
}

/** For tests, and for a browser without IndexedDB (private modes of some): the queue then lasts as long as the page. */
export function memoryActionStore(): ActionStore {
  // Copies, as IndexedDB stores them (JSON: jsdom has no structuredClone).
  const copy = (i: QueuedAction): QueuedAction => JSON.parse(JSON.stringify(i)) as QueuedAction;
  const items = new Map<string, QueuedAction>();
  return {
    all: async () => [...items.values()].map((i) => copy(i)),
    put: async (item) => void items.set(item.key, copy(item)),
    delete: async (key) => void items.delete(key),
  };
}
