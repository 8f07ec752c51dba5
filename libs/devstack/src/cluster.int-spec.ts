import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBranchEvent, pullRequestEvent, sendWebhook } from '@taskflow/github-sim';
import { SERVER_EVENTS, taskBranch, validate } from '@taskflow/events';
import { createDb, createUser, findUserById, getTask, transition } from '@taskflow/store';
import {
  apiClient,
  createTestDatabase,
  eventually,
  login,
  openSocket,
  TaskMirror,
  type TestDatabase,
  type TestSocket,
} from '@taskflow/testing';
import { clusterStatus } from './cluster-status';
import { loadStackEnv } from './config';
import { freePort } from './net';
import { startRedis } from './redis';
import { startStack, type RunningStack } from './stack';

/**
 * The cluster as deployed: HAProxy → two server nodes → Redis/PostgreSQL, and a
 * worker. Clients on both nodes, over WebSocket and over long-polling, must see
 * every committed event of a task once, in seq order — also across a node kill,
 * a Redis restart and a worker killed before it published.
 */
jest.setTimeout(240_000);

let stack: RunningStack;
let database: TestDatabase;
let dataDir: string;
const sockets: TestSocket[] = [];
const convergence: Record<string, number> = {};
let restartedRedis: { stop(): Promise<void> } | undefined;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-cluster-'));
  database = await createTestDatabase('cluster');
  const port = await freePort();
  const env = loadStackEnv({
    PORT: String(port),
    DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    SEED_DEMO: 'true',
    LOG_LEVEL: 'warn',
    DEMO_PASSWORD: 'cluster-pw',
  });
  process.env.DRAIN_DELAY_MS = '500';
  // Short, so the test sees a dead node's viewers disappear.
  process.env.PRESENCE_TTL_MS = '2000';
  stack = await startStack(env, () => undefined, { nodes: 2, workers: 1, haproxy: true });
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await stack?.stop();
  await restartedRedis?.stop();
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  console.log(`convergence after faults (ms): ${JSON.stringify(convergence)}`);
});

const hook = (event: string, payload: object) =>
  sendWebhook(`${stack.url}/api/webhooks/github`, event, payload, { secret: stack.webhookSecret });

async function client(user: string, transport: 'websocket' | 'polling', node?: string): Promise<TestSocket> {
  const token = await login(stack.url, user, 'cluster-pw');
  // HAProxy's sticky cookie picks the node when a test needs a client on a given one.
  const s = await openSocket(stack.url, {
    token,
    transports: [transport],
    reconnection: node === undefined,
    ...(node ? { extraHeaders: { cookie: `tfnode=${node}` } } : {}),
  });
  sockets.push(s);
  return s;
}

/** The committed state of a task, read straight from PostgreSQL. */
async function committedSeq(taskId: string): Promise<number> {
  const db = createDb(database.url, { max: 1 });
  try {
    return (await getTask(db, 'system', taskId))!.task.seq;
  } finally {
    await db.destroy();
  }
}

// Deadlines are ceilings for a busy machine: there (load 15), a killed worker's restart and sweep took over 15 s.
async function converge(mirrors: TaskMirror[], taskId: string, status: string, timeoutMs = 45_000) {
  let seen = '';
  await eventually(
    `clients to converge on ${status}`,
    async () => {
      const seq = await committedSeq(taskId);
      seen = `committed seq ${seq}; clients ${mirrors.map((m) => `${m.last}/${m.status}`).join(', ')}`;
      return mirrors.every((m) => m.last === seq && m.status === status) ? true : undefined;
    },
    timeoutMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message} (${seen})`);
  });
  for (const m of mirrors) expect(m.applied).toEqual(Array.from({ length: m.last }, (_, i) => i + 1));
}

describe('cluster behind HAProxy', () => {
  let mirrors: TaskMirror[];
  let clients: TestSocket[];
  let alice: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    // One after the other, so HAProxy's leastconn sees each open connection and alternates nodes.
    clients = [];
    for (const [user, transport] of [
      ['alice', 'websocket'],
      ['alice', 'polling'],
      ['bob', 'websocket'],
      ['bob', 'polling'],
    ] as const) {
      clients.push(await client(user, transport));
    }
    alice = apiClient(stack.url, await login(stack.url, 'alice', 'cluster-pw'));
  });

  it('spreads clients over both nodes', async () => {
    const users = await Promise.all(
      // Each node's metrics listener: the public /api/health does not tell who is connected.
      stack.nodeMetricsPorts.map(
        async (p) => ((await (await fetch(`http://127.0.0.1:${p}/health`)).json()) as any).websocket.connectedUsers,
      ),
    );
    expect(users.every((n: number) => n > 0)).toBe(true);
    // `cluster:ctl -- status` shows them too, read from the same listeners.
    const status = await clusterStatus(stack.supervisor, stack.url);
    expect(status.nodes.map((n) => [n.name, (n.users ?? 0) > 0, (n.sockets ?? 0) > 0])).toEqual([
      ['server-1', true, true],
      ['server-2', true, true],
    ]);
  });

  it('delivers a whole lifecycle to every client once, in order, over WebSocket and polling on both nodes', async () => {
    const { body } = await alice.post('/api/tasks', { title: 'Fix it', description: 'It is broken.' });
    const id = body.task.id;
    mirrors = clients.map((c) => new TaskMirror(c, id));
    await Promise.all(mirrors.map((m) => m.join()));
    await converge(mirrors, id, 'needs_clarification');
    const task = (await alice.get(`/api/tasks/${id}`)).body;
    await alice.post(`/api/tasks/${id}/clarify`, {
      answers: task.clarificationQuestions.map(() => 'The checkout page, src/checkout/pay.ts'),
    });
    await converge(mirrors, id, 'dispatched');
    const branch = taskBranch(id);
    await hook('create', createBranchEvent({ repo: 'acme/payments', branch }));
    await converge(mirrors, id, 'coding');
    await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 9, action: 'opened' }));
    await converge(mirrors, id, 'pr_open');
    await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 9, action: 'closed', merged: true }));
    await converge(mirrors, id, 'merged');
    // Every payload a client received is the contract's (libs/events schemas).
    for (const c of clients) {
      for (const e of c.events) {
        const schema = SERVER_EVENTS[e.event as keyof typeof SERVER_EVENTS];
        expect({ event: e.event, known: Boolean(schema), valid: schema ? validate(schema, e.payload).ok : false }).toEqual({
          event: e.event,
          known: true,
          valid: true,
        });
      }
    }
    const lastSeq = await committedSeq(id);
    // Every committed event of the lifecycle (as many as the pipeline records), not fewer.
    expect(lastSeq).toBeGreaterThanOrEqual(8);
    for (const m of mirrors) {
      expect(m.last).toBe(lastSeq);
      expect(m.gaps).toBe(0);
      // Live events after the first snapshot: strictly increasing, none repeated.
      expect(m.live).toEqual([...new Set(m.live)].sort((a, b) => a - b));
    }
  });

  it('shows nothing of a task to another org, or of a private task to a colleague', async () => {
    const carol = await client('carol', 'websocket');
    await carol.request('dashboard:join');
    const bob = clients[2]!;
    await clients[3]!.request('dashboard:join');
    const { body } = await alice.post('/api/tasks', {
      title: 'Secret refactor',
      description: 'Rename src/billing/old.ts to src/billing/invoices.ts and update every import that uses it.',
      isPrivate: true,
    });
    const publicTask = (
      await alice.post('/api/tasks', { title: 'Public task', description: 'Add an index on invoices.customer_id for the listing query.' })
    ).body.task;
    for (const taskId of [body.task.id, publicTask.id]) {
      expect(await carol.request('task:join', { taskId })).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'Task not found' } });
    }
    expect((await bob.request('task:join', { taskId: body.task.id })).ok).toBe(false);
    const aliceMirror = new TaskMirror(clients[0]!, body.task.id);
    await aliceMirror.join();
    await converge([aliceMirror], body.task.id, 'dispatched');
    await eventually('public task dispatched', async () =>
      (await alice.get(`/api/tasks/${publicTask.id}`)).body.status === 'dispatched' ? true : undefined,
    );
    // Nothing reaches the others: a time in which it would have (both tasks are dispatched).
    await new Promise((r) => setTimeout(r, 500));
    const leaked = (s: TestSocket, taskId: string) => s.events.filter((e) => JSON.stringify(e.payload ?? '').includes(taskId));
    expect(leaked(carol, body.task.id)).toEqual([]);
    expect(leaked(carol, publicTask.id)).toEqual([]);
    expect(leaked(bob, body.task.id)).toEqual([]);
    // The colleague does see the public task on the dashboard.
    expect(leaked(clients[3]!, publicTask.id).length).toBeGreaterThan(0);
  });

  describe('faults', () => {
    let id: string;
    let branch: string;
    let faultMirrors: TaskMirror[];

    beforeAll(async () => {
      const { body } = await alice.post('/api/tasks', {
        title: 'Add CSV export',
        description: 'Export the invoice list in src/invoices/list.ts as CSV, same columns as the table.',
      });
      id = body.task.id;
      branch = taskBranch(id);
      faultMirrors = clients.map((c) => new TaskMirror(c, id));
      await Promise.all(faultMirrors.map((m) => m.join()));
      await converge(faultMirrors, id, 'dispatched');
    });

    it('a node SIGKILLed mid-lifecycle: its clients reconnect through HAProxy and converge within 10 s; its viewers leave presence', async () => {
      // Presence across nodes: Alice watches from server-2, Dave (a viewer of no other socket) from server-1, which dies.
      const db = createDb(database.url, { max: 1 });
      try {
        await createUser(db, {
          orgId: (await findUserById(db, (await getTask(db, 'system', id))!.task.creatorId))!.orgId,
          username: 'dave',
          name: 'Dave Doe',
          password: 'cluster-pw',
        });
      } finally {
        await db.destroy();
      }
      const watcher = await client('alice', 'websocket', 'server-2');
      const doomed = await client('dave', 'websocket', 'server-1');
      await watcher.request('task:join', { taskId: id });
      await doomed.request('task:join', { taskId: id });
      const names = (e: { payload: { viewers: Array<{ name: string }> } }) => e.payload.viewers.map((v) => v.name);
      await watcher.waitFor(
        (e) => e.event === 'presence:updated' && names(e).includes('Dave Doe') && names(e).includes('Alice Anders'),
        'both viewers',
      );
      const killedAt = Date.now();
      stack.nodes[0]!.process.kill('SIGKILL');
      await eventually('webhook accepted by the surviving node', async () =>
        (await hook('create', createBranchEvent({ repo: 'acme/payments', branch }))).status === 202 ? true : undefined,
      );
      await converge(faultMirrors, id, 'coding', 10_000);
      convergence.nodeKill = Date.now() - killedAt;
      expect(convergence.nodeKill).toBeLessThan(10_000);
      // Dave's entry expires (TTL 2 s) and the surviving node tells the room.
      const gone = await watcher.waitFor(
        (e) => e.event === 'presence:updated' && e.at > killedAt && !names(e).includes('Dave Doe'),
        'dead viewer removed',
        30_000,
      );
      convergence.presenceCleanup = gone.at - killedAt;
      expect(names(gone)).toContain('Alice Anders');
    });

    it('Redis restarted mid-lifecycle: cross-node delivery resumes and every client converges', async () => {
      const redis = stack.services.embeddedRedis!;
      await redis.stop();
      const stoppedAt = Date.now();
      // Down for a while: the nodes and workers notice.
      await new Promise((r) => setTimeout(r, 1000));
      restartedRedis = await startRedis({
        dataDir: path.join(dataDir, 'redis'),
        port: redis.port,
        password: redis.password,
        logFile: path.join(dataDir, 'logs', 'redis.log'),
      });
      await eventually(
        'webhook accepted after the restart',
        async () =>
          (await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 21, action: 'opened' }))).status === 202
            ? true
            : undefined,
        45_000,
      );
      await converge(faultMirrors, id, 'pr_open');
      convergence.redisRestart = Date.now() - stoppedAt;
    });

    it('a worker killed between commit and publish: the sweep publishes and clients converge', async () => {
      const seqBefore = Math.max(...faultMirrors.map((m) => m.last));
      for (const w of stack.workers) w.process.kill('SIGKILL');
      const db = createDb(database.url, { max: 1 });
      try {
        // What a worker does right before dying: the commit, with no publish after it.
        await transition(db, {
          taskId: id,
          from: 'pr_open',
          to: 'merged',
          event: 'pr_merged',
          patch: { mergeCommitSha: 'a'.repeat(40), mergedAt: new Date() },
        });
      } finally {
        await db.destroy();
      }
      const committedAt = Date.now();
      // Nothing is published while no worker runs: a time in which it would have been. (A client that resyncs meanwhile,
      // as one may still do after the Redis restart, reads the commit from PostgreSQL: that is no broadcast.)
      await new Promise((r) => setTimeout(r, 500));
      expect(faultMirrors.flatMap((m) => m.live.filter((seq) => seq > seqBefore))).toEqual([]);
      // No worker is started by the test: the supervisor restarts the killed ones.
      await converge(faultMirrors, id, 'merged', 60_000);
      expect(stack.supervisor.events.filter((e) => e.kind === 'restart' && e.name.startsWith('worker-')).length).toBeGreaterThanOrEqual(1);
      convergence.workerKill = Date.now() - committedAt;
    });
  });
});
