import fs from 'node:fs';
import { Redis } from 'ioredis';
import { Emitter } from '@socket.io/redis-emitter';
import { rooms, SOCKET_IO_REDIS_KEY, type ServerToClientEvents } from '@taskflow/events';
import { createStoreFixture, FIXTURE_PASSWORD, type StoreFixture } from '@taskflow/store/testing';
import { eventually, login, openSocket, testEnv, type AppProcess, type TestSocket } from '@taskflow/testing';
import { closeRedisClient } from '@taskflow/queue';
import { startServerNode } from '../testing/server-node';

/**
 * Memory stays flat under socket churn (connect, join a task, disconnect —
 * often while the join is still in flight) with broadcasts flowing and
 * /api/health never called (HAProxy only calls /api/ready). A real server
 * process and real socket.io-clients; CHURN_TEST_SECONDS sets how long
 * (60 s by default; run it for 600 by hand for the long measurement).
 *
 * The deterministic part: once the churn stops, the node holds no presence
 * entry and no socket of the churn, and its rate window is its fixed size.
 * The statistical part: RSS (/proc/<pid>/status) and V8 heap (from /metrics,
 * which prunes nothing) at the end are within generous bounds of their
 * level after warm-up.
 */
const SECONDS = Number(process.env.CHURN_TEST_SECONDS || 60);
const CONCURRENCY = 8;
const HEAP_LIMIT_MB = 160;
// The test churns for SECONDS, then checks for a few (62 s in all on a busy machine): a ceiling with 3x headroom.
jest.setTimeout((SECONDS + 10) * 3 * 1000);

let f: StoreFixture;
let server: AppProcess;
let url: string;
let metricsUrl: string;
let redis: Redis;

beforeAll(async () => {
  f = await createStoreFixture();
  const node = await startServerNode(f.url, {
    LOG_LEVEL: 'warn',
    WEBSOCKET_RATE_PER_SOCKET: '1000',
    WEBSOCKET_RATE_PER_USER: '100000',
    // Two users opening and closing sockets as fast as they can: far above a person's connection rate.
    WEBSOCKET_CONNECTS_PER_MINUTE: '1000000',
    WEBSOCKET_MAX_SOCKETS_PER_USER: '10000',
    LOGIN_MAX_FAILURES: '1000',
    // A small old space makes V8 collect for real (a lazy heap would look like a leak), and a real leak fail loudly.
    NODE_OPTIONS: `--max-old-space-size=${HEAP_LIMIT_MB}`,
  });
  ({ url, metricsUrl } = node);
  server = node.process;
  redis = new Redis(testEnv('TEST_REDIS_URL'));
});
afterAll(async () => {
  if (redis) await closeRedisClient(redis);
  await server?.stop('SIGKILL');
  await f?.close();
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} not on /metrics`);
  return Number(line.split(' ')[1]);
}

function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

interface Sample {
  at: number;
  rss: number;
  heap: number;
  presence: number;
  window: number;
  sockets: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;

it(`keeps memory flat under ${SECONDS} s of connect / join / disconnect churn with /api/health never called`, async () => {
  const tokens = await Promise.all(['alice', 'bob'].map((u) => login(url, u, FIXTURE_PASSWORD)));
  const tasks = await Promise.all(Array.from({ length: 5 }, () => f.newTask(f.users.alice)));
  const control: TestSocket = await openSocket(url, { token: tokens[1] });
  expect((await control.request('dashboard:join')).ok).toBe(true);

  // Broadcasts keep flowing to the org room (the rate window counts each one).
  const emitter = new Emitter<ServerToClientEvents>(redis, { key: SOCKET_IO_REDIS_KEY });
  let n = 0;
  const ticker = setInterval(
    () =>
      emitter
        .to(rooms.org(f.users.bob.orgId))
        .emit('dashboard:task_count_changed', { activeCount: ++n, completedCount: 0, failedCount: 0, total: n, scope: 'shared' }),
    10,
  );

  const samples: Sample[] = [];
  const sample = async () => {
    samples.push({
      at: Date.now(),
      rss: rssBytes(server.proc.pid!),
      heap: await metric('taskflow_server_nodejs_heap_size_used_bytes'),
      presence: await metric('taskflow_presence_local_entries'),
      window: await metric('taskflow_rate_window_entries'),
      sockets: await metric('taskflow_socket_connections'),
    });
  };
  const sampler = setInterval(() => void sample().catch(() => undefined), Math.max(1000, (SECONDS * 1000) / 60));

  const started = Date.now();
  const deadline = started + SECONDS * 1000;
  let cycles = 0;
  let raced = 0;
  const worker = async (w: number) => {
    while (Date.now() < deadline) {
      const s = await openSocket(url, { token: tokens[w % 2] });
      const taskId = tasks[cycles % tasks.length]!.task.id;
      if (cycles % 3 === 0) {
        // Leave while the join is in flight: the case that used to leak presence.
        s.socket.emit('task:join', { taskId });
        raced += 1;
      } else {
        await s.request('task:join', { taskId: cycles % 2 ? taskId : taskId.toUpperCase() });
      }
      cycles += 1;
      s.close();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  clearInterval(ticker);
  clearInterval(sampler);
  await sample();

  // Deterministic: nothing of the churn is left once its sockets are gone.
  await eventually(
    'churn state released',
    async () => {
      const [presence, sockets] = [await metric('taskflow_presence_local_entries'), await metric('taskflow_socket_connections')];
      return presence === 0 && sockets === 1 ? true : undefined;
    },
    15_000,
  );
  expect(await metric('taskflow_rate_window_entries')).toBeLessThanOrEqual(10);
  expect(Math.max(...samples.map((s) => s.window))).toBeLessThanOrEqual(10);
  expect(control.socket.connected).toBe(true);

  // Statistical, with generous bounds: after warm-up (the first fifth), memory does not keep climbing.
  const warm = samples.filter((s) => s.at >= started + SECONDS * 200 && s.at < started + SECONDS * 400);
  const end = samples.slice(-Math.max(3, Math.floor(samples.length / 5)));
  const report = {
    seconds: SECONDS,
    cycles,
    raced,
    broadcasts: n,
    samples: samples.length,
    rssMb: {
      warm: mb(median(warm.map((s) => s.rss))),
      end: mb(median(end.map((s) => s.rss))),
      max: mb(Math.max(...samples.map((s) => s.rss))),
    },
    heapMb: {
      warm: mb(median(warm.map((s) => s.heap))),
      end: mb(median(end.map((s) => s.heap))),
      max: mb(Math.max(...samples.map((s) => s.heap))),
    },
    maxPresenceEntries: Math.max(...samples.map((s) => s.presence)),
  };
  process.stdout.write(`churn: ${JSON.stringify(report)}\n`);
  control.close();
  expect(cycles).toBeGreaterThan(SECONDS * 10);
  expect(median(end.map((s) => s.heap))).toBeLessThan(median(warm.map((s) => s.heap)) * 1.5 + 16 * 1048576);
  expect(median(end.map((s) => s.rss))).toBeLessThan(median(warm.map((s) => s.rss)) * 1.5 + 32 * 1048576);
});
