import { TaskflowError } from './errors';

/**
 * How the feeds read the REST API (fallbacks, older pages, notifications, polling without a socket). Injectable:
 * the web passes its own (cookie session and CSRF header). Failures should carry `status` and `code`.
 */
export interface HttpClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
}

export interface FetchHttpOptions {
  /** The API's origin; relative paths (the page's own origin) when absent. */
  url?: string;
  /** Sent as `Authorization: Bearer`; without it the request carries the browser's cookies. */
  token?: string;
  fetch?: typeof fetch;
}

/** An HttpClient over `fetch`: JSON in and out, errors as TaskflowError (404 → NOT_FOUND, else the body's `error`). */
export function fetchHttp(options: FetchHttpOptions = {}): HttpClient {
  const base = (options.url ?? '').replace(/\/+$/, '');
  const request = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const doFetch = options.fetch ?? globalThis.fetch;
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
        ...(options.token ? {} : { credentials: 'include' as const }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new TaskflowError('OFFLINE', `The server could not be reached: ${(err as Error).message}`, { status: 0 });
    }
    const data = (await res.json().catch(() => undefined)) as { error?: unknown; message?: unknown } | undefined;
    if (!res.ok) {
      const code = res.status === 404 ? 'NOT_FOUND' : typeof data?.error === 'string' ? data.error : `HTTP_${res.status}`;
      const message = typeof data?.message === 'string' ? data.message : `${method} ${path} failed (${res.status})`;
      throw new TaskflowError(code, message, { status: res.status });
    }
    return data as T;
  };
  return { get: (path) => request('GET', path), post: (path, body) => request('POST', path, body) };
}
