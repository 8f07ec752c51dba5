import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedis, type RedisHandle } from '@taskflow/devstack';
import { transition, unpublishedEventsOf } from '@taskflow/store';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { eventually, freePort, login, openSocket, TaskMirror, type TestSocket } from '@taskflow/testing';
import { startPipelineStack, type PipelineStack } from '../testing/pipeline-stack';

/**
 * The publisher against a Redis of its own that is stalled (SIGSTOP) or stopped:
 * an event is marked published only once Redis took it, a failed publish is no
 * unhandled rejection, and once Redis is back the sweep publishes what was left,
 * which a client of a real server node applies exactly once.
 */
jest.setTimeout(120_000);

const PUBLISH_TIMEOUT_MS = 400;
let dataDir: string;
let redis: RedisHandle;
let stack: PipelineStack;
let client: TestSocket;
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);

/** Restarted with the same password: the worker's REDIS_URL carries it. */
const REDIS_PASSWORD = 'publisher-outage-redis';
const startOwnRedis = (port: number) =>
  startRedis({
    dataDir: path.join(dataDir, 'redis'),
    port,
    password: REDIS_PASSWORD,
    logFile: path.join(dataDir, 'redis.log'),
    fast: true,
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const unpublishedSeqs = async (taskId: string) => (await unpublishedEventsOf(stack.f.db, taskId)).map((e) => e.seq);

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'publisher-outage-'));
  redis = await startOwnRedis(await freePort());
  stack = await startPipelineStack({ redisUrl: redis.url });
  stack.startWorker({ PUBLISH_SWEEP_MS: '200', PUBLISH_SWEEP_OLDER_THAN_MS: '0', PUBLISH_TIMEOUT_MS: String(PUBLISH_TIMEOUT_MS) });
  client = await openSocket(stack.url, { token: await login(stack.url, 'alice', FIXTURE_PASSWORD), reconnection: true });
});

afterAll(async () => {
  client?.close();
  // A failed test may leave Redis stopped: resume it so the stack closes cleanly.
  if (redis) process.kill(redis.pid, 'SIGCONT');
  await stack?.close();
  await redis?.stop();
  process.off('unhandledRejection', onRejection);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A task whose creation was published, followed by a mirror at seq 1. */
async function publishedTaskWithMirror(): Promise<{ taskId: string; mirror: TaskMirror }> {
  const { task } = await stack.f.newTask(stack.f.users.alice);
  await eventually('task creation published', async () => ((await unpublishedSeqs(task.id)).length === 0 ? true : undefined));
  const mirror = new TaskMirror(client, task.id);
  expect((await mirror.join()).ok).toBe(true);
  await eventually('snapshot', async () => (mirror.last === 1 ? true : undefined));
  return { taskId: task.id, mirror };
}

const startAnalysis = (taskId: string) => transition(stack.f.db, { taskId, from: 'received', to: 'analyzing', event: 'analyzing' });

it('leaves the event unpublished while Redis is stalled, and publishes it once after', async () => {
  const { taskId, mirror } = await publishedTaskWithMirror();
  process.kill(redis.pid, 'SIGSTOP');
  try {
    await startAnalysis(taskId);
    // Several sweeps, each timing out after PUBLISH_TIMEOUT_MS instead of hanging the task's chain.
    await sleep(PUBLISH_TIMEOUT_MS * 5);
    expect(await unpublishedSeqs(taskId)).toEqual([2]);
    expect(mirror.last).toBe(1);
  } finally {
    process.kill(redis.pid, 'SIGCONT');
  }
  await eventually('the sweep to publish seq 2', async () => ((await unpublishedSeqs(taskId)).length === 0 ? true : undefined));
  await eventually('the client to apply seq 2', async () => (mirror.last === 2 ? true : undefined));
  expect(mirror.live).toContain(2);
  expect(mirror.applied).toEqual([1, 2]);
  expect(mirror.status).toBe('analyzing');
  expect(rejections).toEqual([]);
});

it('leaves the event unpublished while Redis is down, and publishes it after a restart', async () => {
  const { taskId, mirror } = await publishedTaskWithMirror();
  const port = redis.port;
  await redis.stop();
  try {
    await startAnalysis(taskId);
    // Several sweeps, each failing against the stopped Redis.
    await sleep(PUBLISH_TIMEOUT_MS * 5);
    expect(await unpublishedSeqs(taskId)).toEqual([2]);
    expect(mirror.last).toBe(1);
  } finally {
    redis = await startOwnRedis(port);
  }
  await eventually('the sweep to publish seq 2', async () => ((await unpublishedSeqs(taskId)).length === 0 ? true : undefined), 30_000);
  await eventually('the client to apply seq 2', async () => (mirror.last === 2 ? true : undefined), 30_000);
  expect(mirror.applied).toEqual([1, 2]);
  expect(mirror.status).toBe('analyzing');
  expect(rejections).toEqual([]);
});
