import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { apiClient, createTaskPickedUp, createTestDatabase, login, type TestDatabase } from '@taskflow/testing';
import { Redis } from 'ioredis';
import { loadStackEnv, REPO_ROOT } from './config';
import { freePort, isAlive, waitFor } from './net';
import { pingRedis, REDIS_CONFIG_FILE } from './redis';
import { loadOrCreateSecrets } from './secrets';
import { startStack, type RunningStack } from './stack';
import { readStackState } from './stack-state';

/**
 * The local stack as `npm start` runs it (private redis-server, one node, one worker), on a
 * test database: what the apps print reaches the terminal and .data/logs/<process>.log, and
 * a private Redis that dies is restarted on its port, said in one line, and the app recovers.
 */
jest.setTimeout(120_000);

let database: TestDatabase;
/** Stands for the clone's root: the stack's data is in `.data` under it, as `npm start`'s is. */
let root: string;
let dataDir: string;
let stack: RunningStack;
const stackLines: string[] = [];
let terminal = '';

beforeAll(async () => {
  database = await createTestDatabase('private_redis');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-private-redis-'));
  dataDir = path.join(root, '.data');
  const env = loadStackEnv({
    PORT: String(await freePort()),
    DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    SEED_DEMO: 'true',
    DEMO_PASSWORD: 'redis-test',
    LOG_LEVEL: 'info',
  });
  const out = new PassThrough();
  out.on('data', (d) => (terminal += d));
  // Quick restarts, and a crash loop after the third death within a minute.
  const policy = { maxExits: 3, windowMs: 60_000, baseDelayMs: 200, maxDelayMs: 1000 };
  stack = await startStack(env, (line) => stackLines.push(line), undefined, policy, { terminal: { stdout: out, stderr: out } });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await database?.drop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const redisLines = () => stackLines.filter((l) => l.includes('redis-server'));
const state = () => readStackState(dataDir)!;

/** Sends commands in RESP over a raw socket and resolves with every reply line, once there is one per command. */
function redisReplies(port: number, ...commands: string[][]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(5000, () => reject(new Error(`no reply to ${commands.length} command(s): ${JSON.stringify(reply)}`)));
    socket.on('data', (buf) => {
      reply += buf.toString();
      if (reply.split('\r\n').length > commands.length) {
        socket.destroy();
        resolve(reply);
      }
    });
    socket.on('error', reject);
    socket.on('connect', () =>
      socket.write(commands.map((c) => `*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`).join('')),
    );
  });
}

it("prints the apps' output on the terminal and writes it to .data/logs/server-1.log and worker-1.log", async () => {
  const logs = path.join(dataDir, 'logs');
  await waitFor(
    'the worker to say it is ready, in its log file',
    async () =>
      (fs.existsSync(path.join(logs, 'worker-1.log')) &&
        fs.readFileSync(path.join(logs, 'worker-1.log'), 'utf8').includes('worker ready')) ||
      undefined,
    30_000,
  );
  const serverLog = fs.readFileSync(path.join(logs, 'server-1.log'), 'utf8');
  // JSON lines as the app wrote them; the same lines went to the terminal (piped here, so JSON there too).
  const listening = serverLog.split('\n').find((l) => l.includes('Server listening'));
  expect(listening && JSON.parse(listening)).toMatchObject({ level: 30, name: 'server' });
  expect(terminal).toContain(listening);
  expect(terminal).toContain('worker ready');
  expect(fs.readdirSync(logs)).toEqual(expect.arrayContaining(['redis.log', 'server-1.log', 'worker-1.log']));
});

it('requires the password kept in secrets.json: a client without it gets NOAUTH, the apps connect with it, and ps never shows it', async () => {
  const redis = stack.services.embeddedRedis!;
  const { redisPassword } = loadOrCreateSecrets(dataDir);
  expect(redis.password).toBe(redisPassword);
  expect(stack.services.redisUrl).toBe(`redis://:${redisPassword}@127.0.0.1:${redis.port}`);
  expect(await redisReplies(redis.port, ['PING'])).toMatch(/^-NOAUTH /);
  expect(await redisReplies(redis.port, ['AUTH', 'not-it'], ['PING'])).toMatch(/^-WRONGPASS .*\r\n-NOAUTH /);
  expect(await redisReplies(redis.port, ['AUTH', redisPassword], ['PING'])).toBe('+OK\r\n+PONG\r\n');
  // ioredis (what every app uses) with the stack's URL.
  const client = new Redis(stack.services.redisUrl, { lazyConnect: true });
  try {
    await client.connect();
    expect(await client.ping()).toBe('PONG');
  } finally {
    client.disconnect();
  }
  expect(await pingRedis(redis.port)).toBe(false);
  // The node's Redis checks are up: it connected with the URL the stack gave it.
  const health = (await (await fetch(`${stack.url}/api/health`)).json()) as { checks: Record<string, string> };
  expect(health.checks).toMatchObject({ redis: 'up', socketAdapter: 'up' });
  // The password sits in a mode-600 config file, not on redis-server's command line, and no log line carries it.
  expect(fs.statSync(path.join(dataDir, 'redis', REDIS_CONFIG_FILE)).mode & 0o777).toBe(0o600);
  expect(fs.readFileSync(`/proc/${redis.pid}/cmdline`, 'utf8')).not.toContain(redisPassword);
  for (const file of fs.readdirSync(path.join(dataDir, 'logs')))
    expect([file, fs.readFileSync(path.join(dataDir, 'logs', file), 'utf8').includes(redisPassword)]).toEqual([file, false]);
  expect(terminal).not.toContain(redisPassword);
  expect(stackLines.join('\n')).not.toContain(redisPassword);
});

it('restarts a private redis-server that died on the same port, says so in one line, and the app recovers', async () => {
  const redis = stack.services.embeddedRedis!;
  const { port } = redis;
  const before = redis.pid;
  const linesBefore = redisLines().length;
  process.kill(before, 'SIGKILL');

  await waitFor(
    'a new redis-server on the same port',
    async () => (redis.pid !== before && (await pingRedis(port, redis.password))) || undefined,
    30_000,
  );
  expect(isAlive(before)).toBe(false);
  expect(redisLines().slice(linesBefore)).toEqual([
    expect.stringMatching(
      new RegExp(
        `^redis-server \\(pid ${before}\\) exited unexpectedly \\(SIGKILL\\); exit #1: restarting it on 127\\.0\\.0\\.1:${port} in 200 ms$`,
      ),
    ),
  ]);
  // stack.json names the new process (what `cluster:ctl status` and a later cleanup read).
  await waitFor('stack.json to name the new redis-server', async () => state().redis?.pid === redis.pid || undefined, 10_000);
  expect(state()).toMatchObject({ redis: { pid: redis.pid, port } });
  expect(state().pids).toContain(redis.pid);

  // The app is whole again: healthy, and a new task goes through the queue to the worker.
  await waitFor(
    'the node to report Redis up',
    async () => {
      const res = await fetch(`${stack.url}/api/health`);
      const body = (await res.json()) as { status: string; checks: Record<string, string> };
      return (res.status === 200 && body.status === 'ok' && body.checks.redis === 'up') || undefined;
    },
    30_000,
  );
  expect((await fetch(`${stack.url}/api/ready`)).status).toBe(200);
  const api = apiClient(stack.url, await login(stack.url, 'alice', 'redis-test'));
  await createTaskPickedUp(api, 'After the Redis restart', 30_000);
});

it('gives up on a redis-server that keeps dying, saying so once', async () => {
  const redis = stack.services.embeddedRedis!;
  const linesBefore = redisLines().length;
  // Deaths #2 and #3 within the minute: the second is restarted, the third is the crash loop.
  const second = redis.pid;
  process.kill(second, 'SIGKILL');
  await waitFor(
    'redis-server to come back once more',
    async () => (redis.pid !== second && (await pingRedis(redis.port, redis.password))) || undefined,
    30_000,
  );
  const third = redis.pid;
  process.kill(third, 'SIGKILL');
  await waitFor('the stack to give up', async () => redisLines().length >= linesBefore + 2 || undefined, 10_000);
  const lines = redisLines().slice(linesBefore);
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/exit #2: restarting it on .* in 400 ms$/);
  expect(lines[1]).toMatch(
    new RegExp(`^redis-server \\(pid ${third}\\) exited unexpectedly \\(SIGKILL\\); exit #3: 3 exits within 60 s, not restarting it`),
  );
  expect(lines[1]).toContain('docs/troubleshooting.md');
  expect(await pingRedis(redis.port, redis.password)).toBe(false);
});

it("brings it back with docs/troubleshooting.md's recipe, and Ctrl-C (stop) stops that redis-server too", async () => {
  const { port, password } = stack.services.embeddedRedis!;
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/troubleshooting.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## `npm start`: the private Redis'));
  const recipe = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  expect(recipe).toContain('redis-server');
  // FORCE_COLOR as a terminal (or Nx) may set it: `node -p` then colours numbers, and the recipe must still work.
  const run = spawnSync('sh', ['-ec', recipe!], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, FORCE_COLOR: '1' },
  });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  await waitFor('redis-server on its port again', async () => (await pingRedis(port, password)) || undefined, 15_000);
  const byHand = Number(fs.readFileSync(path.join(dataDir, 'redis', 'redis.pid'), 'utf8'));
  await waitFor(
    'the node to report Redis up',
    async () => ((await (await fetch(`${stack.url}/api/health`)).json()) as { status: string }).status === 'ok' || undefined,
    30_000,
  );
  await stack.stop();
  expect(isAlive(byHand)).toBe(false);
});
