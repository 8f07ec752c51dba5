import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  apiClient,
  createTestDatabase,
  eventually,
  freePort,
  login,
  REPO_ROOT,
  spawnApp,
  testEnv,
  type AppProcess,
  type TestDatabase,
} from '@taskflow/testing';

/**
 * The minimal client of docs/websocket.md (docs/examples/minimal-client.ts), run as a
 * client author would run it, against real server nodes and a worker: it follows a task
 * live, rides through its node's drain and restart, and ends with the task's true state,
 * including what changed while it was disconnected. It runs from a directory outside the
 * repository where only socket.io-client is installed, as docs/websocket.md tells a client author.
 */
const CLIENT = 'docs/examples/minimal-client.ts';

/** The client file alone in a directory of its own, with socket.io-client as its only package. */
function clientOutsideTheRepository(): { dir: string; entry: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-client-'));
  fs.copyFileSync(path.join(REPO_ROOT, CLIENT), path.join(dir, 'minimal-client.ts'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  // Linked, not installed again (no network): the package's own dependencies resolve from its real path.
  fs.symlinkSync(path.dirname(require.resolve('socket.io-client/package.json')), path.join(dir, 'node_modules', 'socket.io-client'));
  // Nothing of the workspace is reachable from there.
  expect(() => require.resolve('@taskflow/events', { paths: [dir] })).toThrow();
  expect(require.resolve('socket.io-client', { paths: [dir] })).toContain('socket.io-client');
  // spawnApp takes a path from the repository root; this one leads out of it.
  return { dir, entry: path.relative(REPO_ROOT, path.join(dir, 'minimal-client.ts')) };
}
jest.setTimeout(120_000);

let db: TestDatabase;
const procs: AppProcess[] = [];
const prefix = `mc${randomBytes(4).toString('hex')}`;
let env: NodeJS.ProcessEnv;
let outside: { dir: string; entry: string } | undefined;

function startNode(port: number, name: string): AppProcess {
  const node = spawnApp('apps/server/src/main.ts', { ...env, PORT: String(port), NODE_ID: name });
  procs.push(node);
  return node;
}
const ready = (port: number) =>
  eventually(
    `the node on ${port} to be ready`,
    async () => ((await fetch(`http://127.0.0.1:${port}/api/ready`).catch(() => undefined))?.ok ? true : undefined),
    60_000,
  );

beforeAll(async () => {
  db = await createTestDatabase('minclient');
  env = {
    DATABASE_URL: db.url,
    REDIS_URL: testEnv('TEST_REDIS_URL'),
    QUEUE_PREFIX: prefix,
    JWT_SECRET: randomBytes(24).toString('hex'),
    GITHUB_WEBHOOK_SECRET: 'webhook-secret-for-minimal-client',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    MIGRATE_ON_START: 'false',
  };
  const migrate = spawnApp('apps/server/src/migrate.ts', { ...env, SEED_DEMO: 'true' });
  expect(await migrate.exited).toBe(0);
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await db?.drop();
  if (outside) fs.rmSync(outside.dir, { recursive: true, force: true });
});

/** The last `task <id> … seq=N status=S` line the client printed. */
function lastTaskLine(client: AppProcess, taskId: string): { seq: number; status: string } | undefined {
  const lines = client
    .output()
    .split('\n')
    .filter((l) => l.startsWith(`task ${taskId} `) && / seq=\d+ status=/.test(l));
  const m = / seq=(\d+) status=(\S+)/.exec(lines.at(-1) ?? '');
  return m ? { seq: Number(m[1]), status: m[2]! } : undefined;
}

it('follows a task live, reconnects after its node drains, and catches up on what it missed', async () => {
  const [portA, portB] = [await freePort(), await freePort()];
  let nodeA = startNode(portA, 'node-a');
  startNode(portB, 'node-b');
  procs.push(spawnApp('apps/worker/src/main.ts', { ...env, NODE_ID: 'worker-1' }));
  await Promise.all([ready(portA), ready(portB)]);
  const [urlA, urlB] = [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`];
  const api = apiClient(urlB, await login(urlB, 'alice', 'taskflow'));
  const truth = async (taskId: string) => {
    const res = await api.get<{ seq: number; status: string; clarificationQuestions: string[] }>(`/api/tasks/${taskId}`);
    return res.body;
  };

  // A vague task: the worker analyses it and asks questions.
  const created = await api.post<{ task: { id: string } }>('/api/tasks', { title: 'Fix it', description: 'It is broken.' });
  expect(created.status).toBe(202);
  const taskId = created.body.task.id;
  outside = clientOutsideTheRepository();
  const client = spawnApp(outside.entry, {
    PATH: process.env.PATH,
    TASKFLOW_URL: urlA,
    TASKFLOW_USER: 'alice',
    TASKFLOW_PASSWORD: 'taskflow',
    TASKFLOW_TASK: taskId,
  });
  procs.push(client);
  await client.waitForOutput('connected over websocket', 30_000);
  await client.waitForOutput(`task ${taskId} snapshot seq=`, 30_000);
  await client.waitForOutput(/dashboard joined \(\d+ tasks\)/, 30_000);

  const asked = await eventually('the analysis to ask questions', async () => {
    const t = await truth(taskId);
    return t.status === 'needs_clarification' ? t : undefined;
  });
  // Whatever arrived live or in the snapshot, the client's copy converges on the stored task.
  await eventually('the client to reach the stored seq', async () => (lastTaskLine(client, taskId)?.seq === asked.seq ? true : undefined));
  expect(lastTaskLine(client, taskId)).toEqual({ seq: asked.seq, status: 'needs_clarification' });

  // A new task on the dashboard arrives live.
  const other = await api.post<{ task: { id: string } }>('/api/tasks', {
    title: 'Add a CSV export to the payments report',
    description: 'Add a CSV export button to the payments report page.',
  });
  await client.waitForOutput(`dashboard ${other.body.task.id} received`, 15_000);

  // Drain the client's node (SIGTERM, as a rolling deploy does); change the task while the client is away.
  await nodeA.stop('SIGTERM');
  await client.waitForOutput('disconnected: transport close', 15_000);
  const answered = await api.post(`/api/tasks/${taskId}/clarify`, {
    answers: asked.clarificationQuestions.map((_q, i) => `Answer ${i + 1}: the checkout page, since Monday.`),
  });
  expect(answered.status).toBe(202);
  const moved = await eventually(
    'the task to move on after the answers',
    async () => {
      const t = await truth(taskId);
      return t.seq > asked.seq && !['analyzing', 'needs_clarification'].includes(t.status) ? t : undefined;
    },
    30_000,
  );
  expect(lastTaskLine(client, taskId)?.seq).toBe(asked.seq);

  // The node comes back on the same address: the client reconnects by itself and catches up.
  nodeA = startNode(portA, 'node-a2');
  await ready(portA);
  await eventually('the client to catch up', async () => (lastTaskLine(client, taskId)?.seq === moved.seq ? true : undefined), 30_000);
  expect(lastTaskLine(client, taskId)).toEqual({ seq: moved.seq, status: moved.status });
  expect(client.output().match(/^connected over /gm)?.length).toBe(2);
  expect(client.output()).not.toMatch(/resync refused|task refused|dashboard refused|login failed/);
});
