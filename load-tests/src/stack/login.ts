import http from 'node:http';
import { SESSION_COOKIE } from '@taskflow/events';

/** The login route allows 20 attempts per minute per client address (apps/server auth.routes). */
const LOGINS_PER_ADDRESS = 18;

function post(
  url: string,
  body: unknown,
  localAddress: string,
): Promise<{ status: number; body: any; retryAfterS: number; cookies: string[] }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      url,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({
            status: res.statusCode ?? 0,
            body: parsed,
            retryAfterS: Number(res.headers['retry-after'] ?? 0),
            cookies: res.headers['set-cookie'] ?? [],
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('login timed out')));
    req.on('error', reject);
    req.end(data);
  });
}

/** How a client authenticates: a Bearer token (API clients, the sockets here) or a browser session cookie. */
export type LoginKind = 'bearer' | 'cookie';

const LOGIN: Record<LoginKind, { path: string; credential: (res: Awaited<ReturnType<typeof post>>) => string | undefined }> = {
  bearer: { path: '/api/auth/login', credential: (res) => (typeof res.body?.token === 'string' ? res.body.token : undefined) },
  // What a browser sends back: `cookie: taskflow_session=…` (the Set-Cookie's first pair).
  cookie: {
    path: '/api/auth/session',
    credential: (res) => res.cookies.map((c) => c.split(';')[0]!).find((c) => c.startsWith(`${SESSION_COOKIE}=`)),
  },
};

/**
 * Logs every user in over REST (POST /api/auth/login, or /api/auth/session for a browser's cookie). Logins are spread over the
 * targets (each server node's own port when known) and over loopback source addresses,
 * so the per-address login limit is never what bounds the run; a 429 waits as told.
 */
export async function loginAll(
  usernames: string[],
  password: string,
  targets: string[],
  opts: { concurrency?: number; deadlineMs?: number; kind?: LoginKind; firstAddress?: number } = {},
): Promise<Map<string, string>> {
  const login = LOGIN[opts.kind ?? 'bearer'];
  const tokens = new Map<string, string>();
  const deadline = Date.now() + (opts.deadlineMs ?? 180_000);
  let next = 0;
  const one = async (i: number) => {
    const username = usernames[i]!;
    const target = targets[i % targets.length]!;
    const localAddress = `127.0.0.${(opts.firstAddress ?? 2) + Math.floor(i / (targets.length * LOGINS_PER_ADDRESS))}`;
    for (;;) {
      const res = await post(`${target}${login.path}`, { username, password }, localAddress);
      const credential = res.status === 200 ? login.credential(res) : undefined;
      if (credential) return tokens.set(username, credential);
      if (res.status !== 429 || Date.now() > deadline)
        throw new Error(`login as ${username} failed: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      await new Promise((r) => setTimeout(r, Math.min(60, Math.max(1, res.retryAfterS)) * 1000));
    }
  };
  const workers = Array.from({ length: opts.concurrency ?? 8 }, async () => {
    while (next < usernames.length) await one(next++);
  });
  await Promise.all(workers);
  return tokens;
}
