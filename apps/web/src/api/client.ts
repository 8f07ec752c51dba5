import type { TaskConflict } from '@taskflow/events';

/** The REST API as the app uses it: JSON in and out, the session token attached, errors as ApiError. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Array<{ path: string; message: string }>,
    /** A task action's 409: where the task is now (and who cancelled it). */
    readonly conflict?: TaskConflict,
  ) {
    super(message);
  }
}

/** The session's CSRF token: the session itself travels in an httpOnly cookie this code cannot read. */
let csrf: string | null = null;
let onUnauthorized: () => void = () => undefined;

export function setSession(csrfToken: string | null, unauthorized?: () => void): void {
  csrf = csrfToken;
  if (unauthorized) onUnauthorized = unauthorized;
}

export async function api<T>(method: string, path: string, body?: unknown, extraHeaders?: Record<string, string>): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(csrf && method !== 'GET' ? { 'x-csrf-token': csrf } : {}),
        ...extraHeaders,
      },
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'OFFLINE', 'You are offline: the server could not be reached. Nothing was changed.');
  }
  const data = (await res.json().catch(() => ({}))) as {
    error?: string;
    message?: string;
    details?: ApiError['details'];
    conflict?: TaskConflict;
  };
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/api/auth/')) onUnauthorized();
    throw new ApiError(res.status, data.error ?? 'ERROR', data.message ?? `Request failed (${res.status})`, data.details, data.conflict);
  }
  return data as T;
}
