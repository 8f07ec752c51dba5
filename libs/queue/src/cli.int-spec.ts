import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { startRedisCluster, type RedisClusterHandle } from '@taskflow/devstack';
import { QUEUES } from '@taskflow/events';
import { redisSettings } from '@taskflow/platform';
import { eventually, runTestProcess } from '@taskflow/testing';
import { createRedisClient, queueKeyPrefix, type RedisClient } from './redis-client';

/** `npm run jobs` on a real Redis Cluster: it finds the parked jobs under the hash-tagged prefix the apps use. */
jest.setTimeout(90_000);

const REPO_ROOT = path.resolve(__dirname, '../../..');
const prefix = `t${process.pid}`;
let cluster: RedisClusterHandle;
let connection: RedisClient;
let queue: Queue;

beforeAll(async () => {
  cluster = await startRedisCluster({ replicasPerMaster: 0, fast: true });
  connection = createRedisClient(
    redisSettings({ REDIS_URL: `redis://:${cluster.password}@x.invalid:1`, REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: cluster.nodeList }),
    { maxRetriesPerRequest: null },
  );
  queue = new Queue(QUEUES.webhooks, { connection, prefix: queueKeyPrefix(connection, prefix) });
});

afterAll(async () => {
  await queue?.close();
  connection?.disconnect();
  await cluster?.stop();
});

function jobs(env: NodeJS.ProcessEnv, ...args: string[]) {
  return runTestProcess(process.execPath, ['--conditions=taskflow-source', '--import', 'tsx', 'libs/queue/src/cli.ts', ...args], {
    name: `jobs ${args.join(' ')}`,
    deadlineMs: 60_000,
    cwd: REPO_ROOT,
    env: { ...process.env, REDIS_URL: `redis://:${cluster.password}@x.invalid:1`, QUEUE_PREFIX: prefix, ...env },
  });
}

it('lists and replays parked jobs with REDIS_MODE=cluster', async () => {
  await queue.add('apply-webhook', { deliveryId: 'd1' }, { jobId: 'wh-d1', attempts: 1 });
  const worker = new Worker(QUEUES.webhooks, () => Promise.reject(new Error('GitHub said no')), {
    connection,
    prefix: queueKeyPrefix(connection, prefix),
  });
  await eventually('the job parked', async () => ((await queue.getFailedCount()) === 1 ? true : undefined));
  await worker.close();

  const clusterEnv = { REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: cluster.nodeList };
  const listed = await jobs(clusterEnv, 'list-failed', '--json');
  expect(listed.code).toBe(0);
  expect(JSON.parse(listed.stdout)).toEqual([
    expect.objectContaining({ queue: QUEUES.webhooks, id: 'wh-d1', failedReason: 'GitHub said no' }),
  ]);
  const retried = await jobs(clusterEnv, 'retry-failed');
  expect(retried.stdout).toContain('1 job(s) replayed');
  expect(await (await queue.getJob('wh-d1'))!.getState()).toBe('waiting');
});

it('refuses cluster mode without nodes, and an unknown mode, as bad usage', async () => {
  const noNodes = await jobs({ REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: '' }, 'list-failed');
  expect(noNodes.code).toBe(2);
  expect(noNodes.stderr).toContain('REDIS_CLUSTER_NODES');
  const unknown = await jobs({ REDIS_MODE: 'sentinel' }, 'list-failed');
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('REDIS_MODE');
});
