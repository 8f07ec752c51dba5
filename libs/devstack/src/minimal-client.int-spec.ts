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
  runTestProcess,
  spawnApp,
  spawnTestProcess,
  testEnv,
  type AppProcess,
  type TestDatabase,
} from '@taskflow/testing';

/**
 * The minimal client of docs/websocket.md (docs/examples/minimal-client.ts) and the README's "Follow one task live"
 * example, run as an integrator would run them, against real server nodes and a worker: they follow a task live,
 * ride through a node's drain and restart, and end with the task's true state, including what changed while they
 * were disconnected. They run from a directory outside the repository where only what docs/websocket.md tells an
 * integrator to install is: the packed @taskflow/client (`npm run client:pack`), socket.io-client and tsx, from npm.
 */
const CLIENT = 'docs/examples/minimal-client.ts';
const PACK = 'tools/src/pack-client.ts';

/** The ```ts block under the README's "## Follow one task live", as written. */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Follow one task live'));
  const code = section && /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error('README.md has no ```ts block under "## Follow one task live"');
  return code;
}

/** A directory of its own where the packed client, socket.io-client and tsx are installed from their tarball and npm. */
async function clientOutsideTheRepository(): Promise<{ dir: string; tarball: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-client-'));
  const packed = await runTestProcess(process.execPath, ['--conditions=taskflow-source', '--import', 'tsx', PACK, '--out', dir], {
    name: 'client:pack',
    deadlineMs: 180_000,
    cwd: REPO_ROOT,
  });
  expect({ code: packed.code, stderr: packed.stderr }).toEqual({ code: 0, stderr: '' });
  const tarball = packed.stdout.trim();
  expect(path.basename(tarball)).toMatch(/^taskflow-client-\d+\.\d+\.\d+\.tgz$/);
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "integrator", "private": true, "type": "module" }\n');
  const install = await runTestProcess(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, 'socket.io-client@4.8', 'tsx'],
    { name: 'npm install (outside)', deadlineMs: 180_000, cwd: dir, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
  );
  expect({ code: install.code, stderr: install.stderr.replace(/^npm warn .*\n/gm, '') }).toEqual({ code: 0, stderr: '' });
  fs.copyFileSync(path.join(REPO_ROOT, CLIENT), path.join(dir, 'minimal-client.ts'));
  fs.writeFileSync(path.join(dir, 'follow-task.ts'), readmeExample());
  // The client resolves to the installed tarball, with the contract inside it: nothing of the workspace is reachable.
  expect(fs.realpathSync(require.resolve('@taskflow/client', { paths: [dir] }))).toContain(path.join(dir, 'node_modules'));
  expect(() => require.resolve('@taskflow/events', { paths: [dir] })).toThrow();
  return { dir, tarball };
}

/** `npx tsx <file> [args]` in the outside directory, with nothing of the test's environment but PATH. */
function runOutside(file: string, args: string[], env: NodeJS.ProcessEnv): AppProcess {
  const proc = spawnTestProcess(path.join(outside!.dir, 'node_modules/.bin/tsx'), [file, ...args], {
    name: file,
    deadlineMs: 10 * 60_000,
    cwd: outside!.dir,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  return proc;
}
jest.setTimeout(240_000);

let db: TestDatabase;
const procs: AppProcess[] = [];
const prefix = `mc${randomBytes(4).toString('hex')}`;
let env: NodeJS.ProcessEnv;
let outside: { dir: string; tarball: string } | undefined;

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
  // Packed and installed meanwhile (a minute or two on a busy machine).
  [outside] = await Promise.all([clientOutsideTheRepository(), migrate.exited.then((code) => expect(code).toBe(0))]);
}, 300_000);

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
  const client = runOutside('minimal-client.ts', [], {
    TASKFLOW_URL: urlA,
    TASKFLOW_USER: 'alice',
    TASKFLOW_PASSWORD: 'taskflow',
    TASKFLOW_TASK: taskId,
  });
  // The README's example, through the other node: it prints the task's status as it changes.
  const readme = runOutside('follow-task.ts', [taskId], { TASKFLOW_URL: urlB });
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
  // The README's example too (it starts slower: on a busy machine it could connect only after the answers below).
  await eventually(
    'the README example to show the questions',
    async () => (lastTaskLine(readme, taskId)?.status === 'needs_clarification' ? true : undefined),
    60_000,
  );

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

  // The README's ten lines saw the same task change, in order, to the same end.
  await eventually('the README example to reach the stored seq', async () =>
    lastTaskLine(readme, taskId)?.seq === moved.seq ? true : undefined,
  );
  expect(lastTaskLine(readme, taskId)).toEqual({ seq: moved.seq, status: moved.status });
  const seqs = [...readme.output().matchAll(/ seq=(\d+) status=(\S+)/g)].map((m) => ({ seq: Number(m[1]), status: m[2] }));
  expect(seqs.map((l) => l.seq)).toEqual([...seqs.map((l) => l.seq)].sort((a, b) => a - b));
  expect(seqs.map((l) => l.status)).toContain('needs_clarification');
});

it('watch-task follows the dashboard through @taskflow/client, and stops when its session ends', async () => {
  const port = await freePort();
  startNode(port, 'node-w');
  await ready(port);
  const url = `http://127.0.0.1:${port}`;
  const watch = spawnTestProcess(
    process.execPath,
    ['--conditions=taskflow-source', '--import', 'tsx', 'libs/devstack/src/watch-task.ts', 'dashboard'],
    {
      name: 'watch-task dashboard',
      deadlineMs: 120_000,
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, APP_URL: url, WATCH_USER: 'bob', WATCH_PASSWORD: 'taskflow' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  procs.push(watch);
  await watch.waitForOutput(/connected as bob over websocket/, 30_000);
  await watch.waitForOutput('dashboard:state', 30_000);

  // Bob signs out everywhere: his sockets are told (session:ended) and closed. The client ends the session
  // instead of reconnecting with a revoked token, and watch-task says so and exits.
  const bob = apiClient(url, await login(url, 'bob', 'taskflow'));
  expect((await bob.post('/api/auth/sign-out-everywhere', {})).status).toBe(200);
  let deadline: ReturnType<typeof setTimeout> | undefined;
  const code = await Promise.race([watch.exited, new Promise<'running'>((r) => (deadline = setTimeout(() => r('running'), 20_000)))]);
  clearTimeout(deadline);
  expect({ code, stderr: watch.stderr().trim() }).toEqual({
    code: 1,
    stderr: expect.stringMatching(/^session ended: SESSION_ENDED .*signed-out-everywhere/),
  });
});
