import { TaskflowClient, type DashboardFeed, type TaskFeed, type TaskflowError } from '@taskflow/client';
import { localAppUrl } from './app-url';

/**
 * `npm run watch-task -- <taskId|dashboard> [--polling]`: logs in and prints every
 * event of one task (or of the dashboard) as it arrives, through whatever URL
 * it is given (HAProxy in a cluster). Run it in two terminals to watch both
 * receive the same events. The protocol (join, re-join, resync, reconnects) is
 * @taskflow/client's, as in the web app; this only prints what arrives.
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
  // --polling: long-polling only (what a proxy without WebSocket leaves); else the client's WebSocket, polling as fallback.
  const client = new TaskflowClient({ url, token, ...(args.includes('--polling') ? { socketOptions: { transports: ['polling'] } } : {}) });
  const socket = client.socket!;
  const stamp = () => new Date().toISOString().slice(11, 23);
  const print = (line: string) => console.log(`[${stamp()}] ${line}`);
  const refused = (error: { code: string; message: string } | undefined) => error && print(`join refused: ${error.code} ${error.message}`);

  let feed: TaskFeed | DashboardFeed;
  if (target === 'dashboard') {
    feed = client.dashboard();
  } else {
    const taskFeed = client.task(target, {
      // What the feed does about order: a gap and the resync that fills it, a join or resync sent again.
      onTrace: (t) => {
        if (t.kind === 'gap') print(`gap: seq=${t.seq} after ${t.last}, resyncing`);
        if (t.kind === 'resync') print(`resync since seq=${t.since}`);
        if (t.kind === 'retry') print(`${t.message} retried (attempt ${t.attempt}${t.code ? `: ${t.code}` : ''})`);
      },
    });
    let lastError: TaskflowError | undefined;
    taskFeed.subscribe(() => {
      const { error } = taskFeed.getSnapshot();
      if (error !== lastError) refused((lastError = error));
    });
    feed = taskFeed;
  }
  client.on('connect', () => {
    print(`connected as ${username} over ${socket.io.engine.transport.name} (${url})`);
    // The feed joins by itself on every connect; this hears that join's answer.
    if (target === 'dashboard') void feed.join().then((ack) => ack && !ack.ok && refused(ack.error));
  });
  client.on('disconnect', (reason) => print(`disconnected: ${reason}`));
  const ended = new Promise<number>((resolve) => {
    let lastError: TaskflowError | undefined;
    client.subscribe(() => {
      const { status, error } = client.getSnapshot();
      if (status === 'ended') return resolve(1);
      if (error && error !== lastError) print(`connect error: ${error.message}`);
      lastError = error;
    });
  });
  socket.onAny((event: string, payload: Record<string, unknown>) => {
    const seq = payload && 'seq' in payload ? ` seq=${String(payload.seq)}` : '';
    const status = payload && 'status' in payload ? ` status=${String(payload.status)}` : '';
    const detail = event === 'task:state' || event === 'dashboard:state' ? '' : ` ${JSON.stringify(payload).slice(0, 160)}`;
    print(`${event}${seq}${status}${detail}`);
  });
  // Ctrl-C may arrive more than once (the terminal's, and npm's and the bootstrap's passing it on): stop once, quietly.
  const code = await Promise.race([
    ended.then((c) => {
      const error = client.getSnapshot().error;
      console.error(`session ended${error ? `: ${error.code} ${error.message}` : ''}`);
      return c;
    }),
    new Promise<number>((resolve) => {
      process.on('SIGINT', () => resolve(0));
      process.on('SIGTERM', () => resolve(0));
    }),
  ]);
  feed.close();
  client.close();
  return code;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
