import type { AckError } from '@taskflow/events';

/**
 * Every failure the client reports, with a stable `code`: an ack's code (NOT_FOUND, RATE_LIMITED, …), a refused
 * handshake's (TOO_MANY_SOCKETS, UNAVAILABLE, TOKEN_EXPIRED, INVALID_TOKEN, …), `TIMEOUT` (no ack in time),
 * `CLOSED`/`NO_SOCKET` (nothing to send on), `DISCONNECTED` (a request while the socket is not connected), or an HTTP failure's (`NOT_FOUND`, the body's `error`, else
 * `HTTP_<status>`; `OFFLINE` when the server could not be reached).
 */
export class TaskflowError extends Error {
  override readonly name = 'TaskflowError';
  readonly code: string;
  /** HTTP status, for errors of REST reads (0: no answer). */
  readonly status?: number;
  /** When trying again may succeed (rate limits). */
  readonly retryAfterSeconds?: number;
  /** On INTERNAL: the id the server logged the failure under. */
  readonly correlationId?: string;

  constructor(code: string, message: string, extra: { status?: number; retryAfterSeconds?: number; correlationId?: string } = {}) {
    super(message);
    this.code = code;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.retryAfterSeconds !== undefined) this.retryAfterSeconds = extra.retryAfterSeconds;
    if (extra.correlationId !== undefined) this.correlationId = extra.correlationId;
  }

  static fromAck(error: AckError): TaskflowError {
    return new TaskflowError(error.code, error.message, error.correlationId === undefined ? {} : { correlationId: error.correlationId });
  }

  /**
   * A `connect_error`: the server's code is `err.data.code`. Without one it is a refusal with no code (`REFUSED`:
   * not the server's auth, which always sends one) when socket.io-client gave up, else a transport failure it
   * retries (`TRANSPORT`).
   * `data` is the contract's ConnectErrorData, or a credential refusal's `{ code }`.
   */
  static fromConnectError(err: Error & { data?: { code?: string; retryAfterSeconds?: number } }, gaveUp: boolean): TaskflowError {
    const data = err.data;
    const code = data?.code ?? (gaveUp ? 'REFUSED' : 'TRANSPORT');
    return new TaskflowError(code, err.message, data?.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: data.retryAfterSeconds });
  }
}

/** Whether `err` says the thing asked for does not exist or is not visible (a 404, or the code NOT_FOUND/FORBIDDEN). */
export function isNotFound(err: unknown): boolean {
  const e = err as { status?: number; code?: string } | null | undefined;
  return e?.status === 404 || e?.code === 'NOT_FOUND' || e?.code === 'FORBIDDEN';
}

export function toTaskflowError(err: unknown): TaskflowError {
  if (err instanceof TaskflowError) return err;
  const e = err as { status?: number; code?: string; message?: string } | null | undefined;
  const status = typeof e?.status === 'number' ? e.status : undefined;
  const code = typeof e?.code === 'string' ? e.code : status !== undefined ? `HTTP_${status}` : 'ERROR';
  return new TaskflowError(code, typeof e?.message === 'string' ? e.message : String(err), status === undefined ? {} : { status });
}
