import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { jobId, JOBS, rooms, SOCKET_IO_REDIS_KEY } from '@taskflow/events';
import { startRedisCluster, type RedisClusterHandle } from '@taskflow/devstack';
import { PipelineQueue } from '@taskflow/queue';
import { getTask } from '@taskflow/store';
import { createStoreFixture, type StoreFixture } from '@taskflow/store/testing';
import { eventually } from '@taskflow/testing';
import { loadWorkerConfig } from './config';
import { startWorkerRuntime, type WorkerRuntime } from './runtime';
import { startShardedSocketServer, type ShardedSocketServer } from './testing/sharded-socket-server';

/**
 * A worker with `REDIS_MODE=cluster` on a real Redis Cluster: a job enqueued by a producer with the server's
 * queue options runs (analysis, then dispatch to the sandbox tracker), and each commit reaches the task's and the
 * org's sockets through the sharded adapter, every seq once and in order.
 */
jest.setTimeout(120_000);

let cluster: RedisClusterHandle;
let f: StoreFixture;
let server: ShardedSocketServer;
let worker: WorkerRuntime | undefined;
let producer: PipelineQueue | undefined;

beforeAll(async () => {
  [cluster, f] = await Promise.all([startRedisCluster({ replicasPerMaster: 0, fast: true }), createStoreFixture()]);
  server = await startShardedSocketServer(cluster, SOCKET_IO_REDIS_KEY);
});

afterAll(async () => {
  await worker?.stop();
  await producer?.close();
  await server?.close();
  await f?.close();
  await cluster?.stop();
});

it('runs a task’s jobs on the cluster and publishes every commit to its rooms', async () => {
  const alice = f.users.alice;
  const { task } = await f.newTask(alice);
  await server.clientIn('task', [rooms.task(task.id)]);
  await server.clientIn('org', [rooms.org(alice.orgId)]);
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const config = loadWorkerConfig({
    DATABASE_URL: f.url,
    // In cluster mode only its password counts: the nodes come from REDIS_CLUSTER_NODES.
    REDIS_URL: `redis://:${cluster.password}@redis.invalid:6379`,
    REDIS_MODE: 'cluster',
    REDIS_CLUSTER_NODES: cluster.nodeList,
    QUEUE_PREFIX: prefix,
    GITHUB_REPOS: 'acme/payments,acme/web',
    RECONCILE_AFTER_MS: '600000',
    APP_URL: 'https://taskflow.test',
  });
  worker = startWorkerRuntime(config, pino({ level: 'silent' }));
  await worker.ready;
  // What the server does on POST /api/tasks: the same queue options from the same configuration.
  producer = PipelineQueue.connect(config.redis, prefix, pino({ level: 'silent' }));
  await eventually('the producer connected', async () => (producer!.ready ? true : undefined));
  expect(await producer.enqueueAnalysis(task.id, task.seq)).toBe('queued');

  const statuses = () =>
    server
      .received('task')
      .filter((e) => e.event !== 'task:event_added')
      .map((e) => (e.payload as { status: string }).status);
  await eventually('the task dispatched on its socket', async () => (statuses().includes('dispatched') ? true : undefined), 60_000);
  const stored = (await getTask(f.db, 'system', task.id))!.task;
  expect(stored.status).toBe('dispatched');
  expect(stored.githubIssueUrl).toMatch(/^https:\/\/sandbox\.taskflow\.invalid\/acme\/payments\/issues\/\d+$/);
  // The timeline: every seq from the task's creation to its dispatch, once, in order.
  await eventually('every timeline event', async () =>
    server.received('task').filter((e) => e.event === 'task:event_added').length >= stored.seq ? true : undefined,
  );
  const seqs = server
    .received('task')
    .filter((e) => e.event === 'task:event_added')
    .map((e) => (e.payload as { seq: number }).seq);
  expect(seqs).toEqual(Array.from({ length: stored.seq }, (_, i) => i + 1));
  expect(statuses().at(-1)).toBe('dispatched');
  await eventually('the dashboard row at the last seq', async () =>
    server.received('org').some((e) => e.event === 'dashboard:task_list_updated' && (e.payload as { seq: number }).seq === stored.seq)
      ? true
      : undefined,
  );
  // BullMQ's keys carry the hash-tagged prefix: one slot for every queue, which its multi-key scripts need.
  expect(await producer.jobState(JOBS.analyze, jobId(JOBS.analyze, task.id, task.seq))).toBe('completed');
  const tagged = await Promise.all(server.pub.nodes('master').map((n) => n.keys(`{${prefix}}:*`)));
  expect(tagged.flat().length).toBeGreaterThan(0);
  // Untagged: only the sandbox's keys (REDIS_KEY_PREFIX, tagged per repository), none of BullMQ's.
  const untagged = (await Promise.all(server.pub.nodes('master').map((n) => n.keys(`${prefix}:*`)))).flat();
  expect(untagged.sort()).toEqual([`${prefix}:sandbox:issue-seq:{acme/payments}`, `${prefix}:sandbox:issues:{acme/payments}`]);
});
