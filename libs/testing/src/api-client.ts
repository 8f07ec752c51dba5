import { eventually } from './processes';

/** A small JSON client for the public HTTP API, as a browser or curl would use it. */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

export function apiClient(baseUrl: string, token?: string) {
  const request = async <T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T };
  };
  return {
    get: <T = any>(path: string) => request<T>('GET', path),
    post: <T = any>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  };
}

export async function login(baseUrl: string, username: string, password: string): Promise<string> {
  const res = await apiClient(baseUrl).post<{ token: string }>('/api/auth/login', { username, password });
  if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token;
}

/**
 * Creates a task as `api`'s user and resolves with its id once a worker has moved it past `received`: the API, the
 * queue and a worker all work. Rejects if the task cannot be created or read, or is not picked up in time.
 */
export async function createTaskPickedUp(api: ReturnType<typeof apiClient>, title: string, timeoutMs = 60_000): Promise<string> {
  const created = await api.post<{ task: { id: string } }>('/api/tasks', {
    title,
    description: 'Fix the login button: it does nothing when clicked.',
  });
  if (created.status !== 202) throw new Error(`creating a task failed: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.task.id;
  await eventually(
    `a worker to pick task ${id} up`,
    async () => {
      const res = await api.get<{ status: string }>(`/api/tasks/${id}`);
      if (res.status !== 200) throw new Error(`reading task ${id} failed: ${res.status}`);
      return res.body.status !== 'received' || undefined;
    },
    timeoutMs,
  );
  return id;
}
