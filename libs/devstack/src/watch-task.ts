import { io } from 'socket.io-client';
import { localAppUrl } from './app-url';

/**
 * `npm run watch-task -- <taskId|dashboard> [--polling]`: logs in and prints every
 * event of one task (or of the dashboard) as it arrives, through whatever URL
 * it is given (HAProxy in a cluster). Run it in two terminals to watch both
 * receive the same events.
 */
const USAGE = `usage: npm run watch-task -- <taskId|dashboard> [--polling]
env: APP_URL or PORT (default: the running local stack's, from DATA_DIR/stack.json, else port 3000), WATCH_USER, WATCH_PASSWORD`;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const target = args.find((a) => !a.startsWith('--'));
  if (!target || (target !== 'dashboard' && !/^[0-9a-f-]{36}$/i.test(target))) {
    console.error(USAGE);
    return 2;
  }
  const { url, from } = localAppUrl(process.env);
  const username = process.env.WATCH_USER ?? 'alice';
  const password = process.env.WATCH_PASSWORD ?? process.env.DEMO_PASSWORD ?? 'taskflow';
  let login: Response;
  try {
    login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const cause = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
    console.error(`cannot reach ${url} (${from}): ${cause}. Start the stack (npm start or npm run cluster), or set APP_URL or PORT.`);
    return 1;
  }
  if (!login.ok) {
    console.error(`login as ${username} at ${url} failed: HTTP ${login.status}`);
    return 1;
  }
  const { token } = (await login.json()) as { token: string };
  const transports: Array<'websocket' | 'polling'> = args.includes('--polling') ? ['polling'] : ['websocket'];
  const socket = io(url, { auth: { token }, transports, withCredentials: true });
  const stamp = () => new Date().toISOString().slice(11, 23);
  socket.on('connect', async () => {
    console.log(`[${stamp()}] connected as ${username} over ${transports[0]} (${url})`);
    const ack =
      target === 'dashboard' ? await socket.emitWithAck('dashboard:join', {}) : await socket.emitWithAck('task:join', { taskId: target });
    if (!ack.ok) console.log(`[${stamp()}] join refused: ${ack.error.code} ${ack.error.message}`);
  });
  let sessionEnded = false;
  socket.on('connect_error', (err) => {
    console.log(`[${stamp()}] connect error: ${err.message}`);
    // An expired or invalid session does not heal by retrying.
    if (/Session expired|Invalid token/.test(err.message)) {
      sessionEnded = true;
      socket.close();
    }
  });
  socket.on('error', (e: { code?: string }) => {
    if (e?.code === 'TOKEN_EXPIRED') sessionEnded = true;
  });
  socket.on('disconnect', (reason) => {
    console.log(`[${stamp()}] disconnected: ${reason}`);
    // socket.io-client reconnects by itself after a lost transport, not after a server-side disconnect: do it here.
    if (reason === 'io server disconnect' && !sessionEnded) setTimeout(() => socket.connect(), 500);
  });
  socket.onAny((event: string, payload: Record<string, unknown>) => {
    const seq = payload && 'seq' in payload ? ` seq=${String(payload.seq)}` : '';
    const status = payload && 'status' in payload ? ` status=${String(payload.status)}` : '';
    const detail = event === 'task:state' || event === 'dashboard:state' ? '' : ` ${JSON.stringify(payload).slice(0, 160)}`;
    console.log(`[${stamp()}] ${event}${seq}${status}${detail}`);
  });
  // Ctrl-C may arrive more than once (the terminal's, and npm's and the bootstrap's passing it on): stop once, quietly.
  await new Promise<void>((resolve) => {
    process.on('SIGINT', () => resolve());
    process.on('SIGTERM', () => resolve());
  });
  socket.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
