/**
 * A complete minimal Taskflow Live client (docs/websocket.md#integrate-with-taskflowclient): logs in, follows the
 * dashboard and, optionally, one task, and keeps an exact copy of that task through disconnects, node drains and
 * restarts. The protocol (join and re-join, buffering until the snapshot, order by seq, resync on a gap,
 * sync:required, reconnecting after a drain) is @taskflow/client's. Outside the clone, next to this file:
 *
 *   npm i /path/to/taskflow-client-<version>.tgz socket.io-client@4.8 tsx     (the tarball: `npm run client:pack`)
 *   TASKFLOW_URL=http://localhost:3000 TASKFLOW_USER=alice TASKFLOW_PASSWORD=taskflow \
 *     npx tsx minimal-client.ts [taskId]     (or TASKFLOW_TASK=<taskId>)
 *
 * It prints one line per thing it learns, e.g. `task <id> seq=3 status=dispatched`.
 */
import { TaskflowClient } from '@taskflow/client';

const url = process.env.TASKFLOW_URL ?? 'http://localhost:3000';
const username = process.env.TASKFLOW_USER ?? 'alice';
const password = process.env.TASKFLOW_PASSWORD ?? 'taskflow';
const taskId = process.argv[2] ?? process.env.TASKFLOW_TASK;

const log = (line: string): void => void process.stdout.write(`${line}\n`);

async function logIn(): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login failed: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

async function main(): Promise<void> {
  const client = new TaskflowClient({ url, token: await logIn() });

  // The connection: connected, reconnecting, ended (log in again), with the reason of the last failure.
  client.subscribe(() => {
    const { status, error } = client.getSnapshot();
    log(`connection ${status}${error ? ` (${error.code}: ${error.message})` : ''}`);
    if (status === 'connected') log(`connected over ${client.socket?.io.engine.transport.name}`);
    if (status === 'ended') process.exit(1);
  });
  client.on('disconnect', (reason) => log(`disconnected: ${reason}`));

  // The dashboard: a snapshot on every (re)join, then rows as they change.
  const dashboard = client.dashboard();
  let statuses: Map<string, string> | undefined;
  dashboard.subscribe(() => {
    const { rows, counts, loaded, error } = dashboard.getSnapshot();
    if (error) log(`dashboard refused: ${error.code} ${error.message}`);
    if (!loaded) return;
    if (!statuses) log(`dashboard joined (${counts?.total ?? rows.size} tasks)`);
    for (const [id, row] of rows) if (statuses && statuses.get(id) !== row.status) log(`dashboard ${id} ${row.status}`);
    statuses = new Map([...rows].map(([id, row]) => [id, row.status]));
  });

  // One task: its fields at every seq, applied in order, nothing missed.
  if (taskId) {
    const task = client.task(taskId);
    let printed = 0;
    task.subscribe(() => {
      const { view, notFound, error } = task.getSnapshot();
      if (notFound) return log(`task ${taskId} is gone or no longer visible`);
      if (error) log(`task refused: ${error.code} ${error.message}`);
      if (!view || view.last === printed) return;
      log(`task ${taskId} ${printed === 0 ? 'snapshot ' : ''}seq=${view.last} status=${view.task.status}`);
      printed = view.last;
    });
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      client.close();
      process.exit(0);
    });
  }
}

main().catch((err: Error) => {
  log(`login failed: ${err.message}`);
  process.exit(1);
});
