import { Store } from './store';

export type TransportName = 'websocket' | 'polling';

/**
 * A WebSocket that closes before the Socket.IO connect ack, or less than this long after it (after the upgrade, for
 * one that replaced long-polling), was cut by something between browser and server: a server going away does not
 * do that twice in a row.
 */
export const EARLY_CLOSE_MS = 3000;
/** Early closes in a row before the client connects over long-polling first. */
export const EARLY_CLOSES_BEFORE_FALLBACK = 2;
/** After the fallback, the first wait before WebSocket is tried again; it doubles after each failed try, up to the max. */
export const WEBSOCKET_RETRY_MS = 3 * 60_000;
export const WEBSOCKET_RETRY_MAX_MS = 30 * 60_000;
/** Where the fallback is remembered (sessionStorage in a browser: this tab, across reloads). */
export const TRANSPORT_STORAGE_KEY = 'taskflow.transport';

/** The part of the Web Storage API the fallback uses: `sessionStorage` in a browser, anything alike elsewhere. */
export interface TransportStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface TransportState {
  /** What the next connection tries first: 'polling' after WebSocket was cut early twice in a row. */
  preferred: TransportName;
  /** What the open connection uses; null while there is none. */
  current: TransportName | null;
  /** WebSocket connections cut early in a row (EARLY_CLOSE_MS). */
  earlyCloses: number;
  /** While `preferred` is 'polling': when WebSocket is tried again (epoch ms). */
  retryWebSocketAt: number | null;
  /** Tries of WebSocket since the fallback that failed the same way. */
  failedRetries: number;
}

export type TransportTrace =
  | { kind: 'websocket_closed_early'; earlyCloses: number }
  | { kind: 'fallback'; retryWebSocketAt: number }
  | { kind: 'websocket_retry_failed'; failedRetries: number; retryWebSocketAt: number }
  | { kind: 'websocket_restored' };

export interface TransportFallbackOptions {
  /** Where the fallback is remembered; null: only in this object. */
  storage?: TransportStorage | null;
  now?: () => number;
  /** Told of each early close, the fallback (once per fallback), each failed retry and the return to WebSocket. */
  onTrace?: (trace: TransportTrace) => void;
  retryMs?: number;
  retryMaxMs?: number;
}

interface Remembered {
  retryWebSocketAt: number;
  failedRetries: number;
}

/** `sessionStorage` where there is one (a browser; reading it throws in some sandboxed frames), else none. */
export function defaultTransportStorage(): TransportStorage | null {
  try {
    return (globalThis as { sessionStorage?: TransportStorage }).sessionStorage ?? null;
  } catch {
    return null;
  }
}

/**
 * Which transport a TaskflowClient connects with, decided from how its WebSocket connections ended. Some proxies
 * and antivirus filters accept the WebSocket upgrade and then close the socket at once: socket.io-client then keeps
 * trying WebSocket first and never gets a connection. After two such early closes in a row this connects over
 * long-polling first (and remembers it in `storage`), tries WebSocket again after WEBSOCKET_RETRY_MS (doubling up to
 * WEBSOCKET_RETRY_MAX_MS while it fails the same way), and goes back to WebSocket first once one holds.
 */
export class TransportFallback extends Store<TransportState> {
  private readonly storage: TransportStorage | null;
  private readonly now: () => number;
  private readonly retryMs: number;
  private readonly retryMaxMs: number;

  constructor(private readonly options: TransportFallbackOptions = {}) {
    const storage = options.storage ?? null;
    const remembered = read(storage);
    super({
      preferred: remembered ? 'polling' : 'websocket',
      current: null,
      earlyCloses: 0,
      retryWebSocketAt: remembered?.retryWebSocketAt ?? null,
      failedRetries: remembered?.failedRetries ?? 0,
    });
    this.storage = storage;
    this.now = options.now ?? Date.now;
    this.retryMs = options.retryMs ?? WEBSOCKET_RETRY_MS;
    this.retryMaxMs = options.retryMaxMs ?? WEBSOCKET_RETRY_MAX_MS;
  }

  /**
   * The engine options of the next connection. Long-polling first upgrades to WebSocket only once the retry is due:
   * a proxy that lets the upgrade's probe through and then cuts the socket would otherwise cut every connection.
   */
  engineOptions(): { transports: TransportName[]; upgrade: boolean } {
    const s = this.getSnapshot();
    if (s.preferred === 'websocket') return { transports: ['websocket', 'polling'], upgrade: true };
    return { transports: ['polling', 'websocket'], upgrade: this.retryDue() };
  }

  /** Whether WebSocket is to be tried again (always true while it is preferred). */
  retryDue(): boolean {
    const at = this.getSnapshot().retryWebSocketAt;
    return at === null || this.now() >= at;
  }

  setCurrent(current: TransportName | null): void {
    this.update({ current });
  }

  /**
   * A WebSocket tried first closed early (or failed before the handshake). Returns 'fallback' when this one made
   * the client fall back to long-polling first, else 'retry'.
   */
  webSocketClosedEarly(): 'fallback' | 'retry' {
    const s = this.getSnapshot();
    if (s.preferred === 'polling') return 'retry';
    const earlyCloses = s.earlyCloses + 1;
    this.update({ earlyCloses });
    this.options.onTrace?.({ kind: 'websocket_closed_early', earlyCloses });
    if (earlyCloses < EARLY_CLOSES_BEFORE_FALLBACK) return 'retry';
    const retryWebSocketAt = this.now() + this.retryMs;
    this.remember({ retryWebSocketAt, failedRetries: 0 });
    this.update({ preferred: 'polling', retryWebSocketAt, failedRetries: 0 });
    this.options.onTrace?.({ kind: 'fallback', retryWebSocketAt });
    return 'fallback';
  }

  /** A try of WebSocket after the fallback failed (its probe, or it closed early): stay on long-polling, wait longer. */
  retryFailed(): void {
    const s = this.getSnapshot();
    if (s.preferred !== 'polling') return;
    const failedRetries = s.failedRetries + 1;
    const retryWebSocketAt = this.now() + Math.min(this.retryMs * 2 ** failedRetries, this.retryMaxMs);
    this.remember({ retryWebSocketAt, failedRetries });
    this.update({ retryWebSocketAt, failedRetries });
    this.options.onTrace?.({ kind: 'websocket_retry_failed', failedRetries, retryWebSocketAt });
  }

  /** A WebSocket stayed open EARLY_CLOSE_MS: the count starts over, and after a fallback WebSocket is first again. */
  webSocketHeld(): void {
    const s = this.getSnapshot();
    if (s.preferred === 'websocket') return this.update({ earlyCloses: 0 });
    this.remember(null);
    this.update({ preferred: 'websocket', earlyCloses: 0, retryWebSocketAt: null, failedRetries: 0 });
    this.options.onTrace?.({ kind: 'websocket_restored' });
  }

  private remember(value: Remembered | null): void {
    try {
      if (value) this.storage?.setItem(TRANSPORT_STORAGE_KEY, JSON.stringify(value));
      else this.storage?.removeItem(TRANSPORT_STORAGE_KEY);
    } catch {
      // A full or disabled storage: the fallback then lasts as long as this client.
    }
  }
}

function read(storage: TransportStorage | null): Remembered | null {
  try {
    const value: unknown = JSON.parse(storage?.getItem(TRANSPORT_STORAGE_KEY) ?? 'null');
    if (typeof value !== 'object' || value === null) return null;
    const { retryWebSocketAt, failedRetries } = value as Partial<Remembered>;
    if (typeof retryWebSocketAt !== 'number' || typeof failedRetries !== 'number') return null;
    return { retryWebSocketAt, failedRetries };
  } catch {
    // Not ours, or not JSON: as if nothing were remembered.
    return null;
  }
}
