import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createStoreFixture } from '@taskflow/store/testing';
import { LightSocket } from '../client/light-socket';
import { REPO_ROOT } from '../stack/cluster';
import { loginAll } from '../stack/login';
import { seedUsers } from '../stack/seed-users';
import { diffPerSocket, groupHeapSnapshot } from './heap-snapshot-diff';

/**
 * Memory one dashboard socket costs a server process, measured inside it rather than from RSS:
 *
 *   node --conditions=taskflow-source --import tsx load-tests/src/tools/heap-per-socket.ts \
 *     [--sockets 2000] [--users 200] [--target product|bare|both] [--snapshots DIR] [--top 25] [--repo DIR] [--concurrency 100] [--allocations]
 *
 * Starts one product server node (apps/server/src/main.ts, on a fresh migrated database of the test
 * PostgreSQL, TEST_DATABASE_URL, and TEST_REDIS_URL) and/or the bare baseline server, each under
 * `--expose-gc` with heap-probe.preload.cjs; opens `--warm` sockets, collects garbage and reads the heap,
 * opens `--sockets` more (authenticated, `dashboard:join` acked), reads it again, and reports the
 * difference per socket. With `--snapshots DIR` it also writes a heap snapshot at both points and
 * lists the kinds of objects each socket added (count and shallow bytes per socket); `--allocations` lists where
 * the ramp allocated, by function (sampling heap profiler, collected objects included).
 * `--repo DIR` measures another checkout's server (e.g. a `git worktree` of the commit before a change), with
 * this checkout's dependencies. Last line of stdout: one JSON object.
 */
const PASSWORD = 'heap-probe-password';
const PROBE = path.join(__dirname, 'heap-probe.preload.cjs');
const say = (line: string) => process.stderr.write(`[heap] ${line}\n`);

const { values: args } = parseArgs({
  options: {
    sockets: { type: 'string', default: '2000' },
    warm: { type: 'string', default: '100' },
    users: { type: 'string', default: '200' },
    target: { type: 'string', default: 'both' },
    snapshots: { type: 'string' },
    top: { type: 'string', default: '25' },
    repo: { type: 'string', default: REPO_ROOT },
    concurrency: { type: 'string', default: '100' },
    allocations: { type: 'boolean', default: false },
  },
});
const SOCKETS = Number(args.sockets);
const WARM = Number(args.warm);
const USERS = Number(args.users);
const CONCURRENCY = Number(args.concurrency);
if (![SOCKETS, WARM, USERS, CONCURRENCY].every((n) => Number.isInteger(n) && n > 0))
  throw new Error('--sockets, --warm, --users and --concurrency must be positive integers');
if (!['product', 'bare', 'both'].includes(args.target)) throw new Error(`--target must be product, bare or both, got "${args.target}"`);

interface Heap {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  mallocedMemory: number;
  resources: Record<string, number>;
  spaces?: Record<string, number>;
}

interface Measured {
  target: string;
  sockets: number;
  heapPerSocketKB: number;
  externalPerSocketKB: number;
  rssPerSocketKB: number;
  /** RSS growth as the harness samples it: no collection before either reading. */
  rssNoGcPerSocketKB: number;
  /** Heap the sockets' connecting allocated and dropped: freed by collections during the ramp, plus what was still uncollected at its end. */
  garbagePerSocketKB: number;
  /** MB each V8 heap space reserved before → after the sockets, no collection first (the young generation grows with allocation, not with sockets). */
  spacesNoGcMB: Record<string, [number, number]>;
  resourcesPerSocket: Record<string, number>;
  kinds?: Array<{ kind: string; countPerSocket: number; bytesPerSocket: number }>;
  /** With --allocations: where the ramp allocated (sampled, collected objects included), per socket. */
  allocators?: Array<{ where: string; bytesPerSocket: number }>;
}

const mb = (bytes = 0) => Math.round((bytes / 2 ** 20) * 10) / 10;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A TypeScript entry under tsx, with the probe preloaded and the collector exposed. */
function startProcess(entry: string, env: Record<string, string>): { proc: ChildProcess; output: () => string } {
  const proc = spawn(
    process.execPath,
    ['--expose-gc', '--require', PROBE, '--conditions=taskflow-source', '--import', 'tsx', path.join(path.resolve(args.repo), entry)],
    {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  return { proc, output: () => out };
}

async function probe(
  port: number,
  what: 'heap' | 'memory' | 'snapshot' | 'gc-start' | 'gc-stop' | 'alloc-start' | 'alloc-stop',
  file?: string,
): Promise<any> {
  const query = file ? `?file=${encodeURIComponent(file)}` : what === 'alloc-stop' ? `?top=${Number(args.top)}` : '';
  const url = `http://127.0.0.1:${port}/${what}${query}`;
  const res = await fetch(url, { signal: AbortSignal.timeout(300_000) });
  if (!res.ok) throw new Error(`probe ${what}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Opens `n` sockets, `--concurrency` at a time, each acked on `dashboard:join`; throws on the first failure. */
async function openSockets(url: string, tokens: string[], n: number, into: LightSocket[]): Promise<void> {
  let next = 0;
  const one = async (i: number) => {
    const token = tokens[i % tokens.length];
    const s = new LightSocket({ url, auth: token ? { token } : undefined, timeoutMs: 30_000, onEvent: () => undefined });
    await s.connect();
    into.push(s);
    const ack = (await s.emitWithAck('dashboard:join', {})) as { ok?: boolean; error?: unknown };
    if (!ack?.ok) throw new Error(`dashboard:join failed: ${JSON.stringify(ack)}`);
  };
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await one(next++);
    }),
  );
}

async function measure(target: string, url: string, probePort: number, tokens: string[]): Promise<Measured> {
  const sockets: LightSocket[] = [];
  const snapDir = args.snapshots;
  try {
    await openSockets(url, tokens, WARM, sockets);
    await new Promise((r) => setTimeout(r, 1000));
    const rawBefore = (await probe(probePort, 'memory')) as Heap;
    const before = (await probe(probePort, 'heap')) as Heap;
    const beforeFile = snapDir && path.join(snapDir, `${target}-before.heapsnapshot`);
    if (beforeFile) await probe(probePort, 'snapshot', beforeFile);
    await probe(probePort, 'gc-start');
    if (args.allocations) await probe(probePort, 'alloc-start');
    const started = Date.now();
    await openSockets(url, tokens, SOCKETS, sockets);
    say(`${target}: ${SOCKETS} sockets connected and joined in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const rawAfter = (await probe(probePort, 'memory')) as Heap;
    const freed = (await probe(probePort, 'gc-stop')) as { collections: number; freedBytes: number };
    const allocated = args.allocations ? ((await probe(probePort, 'alloc-stop')) as { top: Array<[string, number]> }).top : undefined;
    await new Promise((r) => setTimeout(r, 2000));
    const after = (await probe(probePort, 'heap')) as Heap;
    const kb = (a: number, b: number) => Math.round(((b - a) / SOCKETS / 1024) * 100) / 100;
    const resourcesPerSocket: Record<string, number> = {};
    for (const type of new Set([...Object.keys(before.resources), ...Object.keys(after.resources)])) {
      resourcesPerSocket[type] = Math.round((((after.resources[type] ?? 0) - (before.resources[type] ?? 0)) / SOCKETS) * 1000) / 1000;
    }
    const result: Measured = {
      target,
      sockets: SOCKETS,
      heapPerSocketKB: kb(before.heapUsed, after.heapUsed),
      externalPerSocketKB: kb(before.external, after.external),
      rssPerSocketKB: kb(before.rss, after.rss),
      rssNoGcPerSocketKB: kb(rawBefore.rss, rawAfter.rss),
      garbagePerSocketKB: kb(0, freed.freedBytes + Math.max(0, rawAfter.heapUsed - after.heapUsed)),
      spacesNoGcMB: Object.fromEntries(
        Object.keys(rawAfter.spaces ?? {}).map((name) => [name, [mb(rawBefore.spaces?.[name]), mb(rawAfter.spaces?.[name])]]),
      ),
      resourcesPerSocket,
    };
    if (allocated) result.allocators = allocated.map(([where, bytes]) => ({ where, bytesPerSocket: Math.round(bytes / SOCKETS) }));
    if (beforeFile && snapDir) {
      const afterFile = path.join(snapDir, `${target}-after.heapsnapshot`);
      await probe(probePort, 'snapshot', afterFile);
      say(`${target}: snapshots written (${beforeFile}, ${afterFile}); grouping…`);
      const rows = diffPerSocket(groupHeapSnapshot(beforeFile), groupHeapSnapshot(afterFile), SOCKETS);
      const round = (n: number) => Math.round(n * 100) / 100;
      result.kinds = rows
        .slice(0, Number(args.top))
        .map((r) => ({ kind: r.kind, countPerSocket: round(r.countPerSocket), bytesPerSocket: round(r.bytesPerSocket) }));
    }
    return result;
  } finally {
    for (const s of sockets) s.terminate();
  }
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

/** loginAll, again after a pause when the shared database answered 503 (busy machine): up to three tries. */
async function loginWithRetries(usernames: string[], url: string): Promise<Map<string, string>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await loginAll(usernames, PASSWORD, [url], { concurrency: 4 });
    } catch (err) {
      if (attempt >= 3 || !/failed: 503/.test((err as Error).message)) throw err;
      say(`${(err as Error).message}; logging in again in 5 s`);
      await new Promise((r) => setTimeout(r, 5000));
    }
  }
}

async function runProduct(redisUrl: string): Promise<Measured> {
  const fixture = await createStoreFixture();
  const [port, metricsPort, probePort] = [await freePort(), await freePort(), await freePort()];
  const runId = randomBytes(3).toString('hex');
  const { users } = await seedUsers(fixture.url, { runId, orgs: 10, users: USERS, password: PASSWORD });
  const node = startProcess('apps/server/src/main.ts', {
    DATABASE_URL: fixture.url,
    REDIS_URL: redisUrl,
    JWT_SECRET: randomBytes(32).toString('hex'),
    GITHUB_WEBHOOK_SECRET: randomBytes(32).toString('hex'),
    QUEUE_PREFIX: `heap${runId}`,
    PORT: String(port),
    HOST: '127.0.0.1',
    METRICS_PORT: String(metricsPort),
    MIGRATE_ON_START: 'false',
    LOG_LEVEL: 'warn',
    HEAP_PROBE_PORT: String(probePort),
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await until('the product node', async () => (await fetch(`${url}/api/ready`)).ok && (await probe(probePort, 'heap').then(() => true)));
    const tokens = await loginWithRetries(
      users.map((u) => u.username),
      url,
    );
    return await measure('product', url, probePort, [...tokens.values()]);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- node output ---\n${node.output()}`);
  } finally {
    await stopProcess(node.proc);
    await fixture.close();
  }
}

async function runBare(redisUrl: string): Promise<Measured> {
  const [port, probePort] = [await freePort(), await freePort()];
  const bare = startProcess('load-tests/baselines/bare-server.ts', {
    PORT: String(port),
    REDIS_URL: redisUrl,
    HEAP_PROBE_PORT: String(probePort),
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await until('the bare server', async () => (await fetch(`${url}/api/ready`)).ok && (await probe(probePort, 'heap').then(() => true)));
    return await measure('bare', url, probePort, []);
  } finally {
    await stopProcess(bare.proc);
  }
}

function table(results: Measured[]): string {
  const lines = [
    '| | heap KB/socket | external KB/socket | RSS KB/socket (after GC) | RSS KB/socket (no GC) | garbage KB/socket (connect) | timers/socket |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of results)
    lines.push(
      `| ${r.target} (${r.sockets}) | ${r.heapPerSocketKB} | ${r.externalPerSocketKB} | ${r.rssPerSocketKB} | ${r.rssNoGcPerSocketKB} | ${r.garbagePerSocketKB} | ${r.resourcesPerSocket.Timeout ?? 0} |`,
    );
  for (const r of results.filter((x) => x.allocators)) {
    lines.push(
      '',
      `${r.target}: allocated while connecting, by function (sampled; bytes per socket)`,
      '',
      '| function | bytes per socket |',
      '|---|---|',
    );
    for (const a of r.allocators!) lines.push(`| \`${a.where.replace(/\|/g, '\\|')}\` | ${a.bytesPerSocket} |`);
  }
  for (const r of results.filter((x) => x.kinds)) {
    lines.push(
      '',
      `${r.target}: what each socket added (heap snapshot, shallow bytes)`,
      '',
      '| kind | per socket | bytes per socket |',
      '|---|---|---|',
    );
    for (const k of r.kinds!) lines.push(`| \`${k.kind.replace(/\|/g, '\\|')}\` | ${k.countPerSocket} | ${k.bytesPerSocket} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const redisUrl = process.env.TEST_REDIS_URL;
  if (!redisUrl || !process.env.TEST_DATABASE_URL)
    throw new Error('set TEST_DATABASE_URL (a superuser URL) and TEST_REDIS_URL, e.g. from `npm run services`');
  if (args.snapshots) fs.mkdirSync(args.snapshots, { recursive: true });
  const results: Measured[] = [];
  if (args.target !== 'bare') results.push(await runProduct(redisUrl));
  if (args.target !== 'product') results.push(await runBare(redisUrl));
  const product = results.find((r) => r.target === 'product');
  const bare = results.find((r) => r.target === 'bare');
  const ratio =
    product && bare && bare.heapPerSocketKB > 0 ? Math.round((product.heapPerSocketKB / bare.heapPerSocketKB) * 100) / 100 : undefined;
  process.stdout.write(
    `${table(results)}\n\nload average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ sockets: SOCKETS, results: results.map(({ kinds: _k, allocators: _a, ...r }) => r), heapRatio: ratio })}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(String((err as Error)?.stack ?? err));
    process.exit(1);
  },
);
