import http from 'node:http';

/** The login route allows 20 attempts per minute per client address (apps/server auth.routes). */
const LOGINS_PER_ADDRESS = 18;

function post(url: string, body: unknown, localAddress: string): Promise<{ status: number; body: any; retryAfterS: number }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(url, { method: 'POST', localAddress, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }, timeout: 30_000 }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, retryAfterS: Number(res.headers['retry-after'] ?? 0) });
      });
    });
    req.on('timeout', () => req.destroy(new Error('login timed out')));
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * Logs every user in over REST (POST /api/auth/login). Logins are spread over the
 * targets (each server node's own port when known) and over loopback source addresses,
 * so the per-address login limit is never what bounds the run; a 429 waits as told.
 */
export async function loginAll(usernames: string[], password: string, targets: string[], opts: { concurrency?: number; deadlineMs?: number } = {}): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  const deadline = Date.now() + (opts.deadlineMs ?? 180_000);
  let next = 0;
  const one = async (i: number) => {
    const username = usernames[i]!;
    const target = targets[i % targets.length]!;
    const localAddress = `127.0.0.${2 + Math.floor(i / (targets.length * LOGINS_PER_ADDRESS))}`;
    for (;;) {
      const res = await post(`${target}/api/auth/login`, { username, password }, localAddress);
      if (res.status === 200 && typeof res.body?.token === 'string') return tokens.set(username, res.body.token);
      if (res.status !== 429 || Date.now() > deadline) throw new Error(`login as ${username} failed: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      await new Promise((r) => setTimeout(r, Math.min(60, Math.max(1, res.retryAfterS)) * 1000));
    }
  };
  const workers = Array.from({ length: opts.concurrency ?? 8 }, async () => {
    while (next < usernames.length) await one(next++);
  });
  await Promise.all(workers);
  return tokens;
}
