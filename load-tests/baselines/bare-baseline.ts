import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { GeneratorPool } from '../src/client/generator-pool';
import type { SocketPlan } from '../src/client/messages';
import { measurePhase, type Measurement } from '../src/measure/phase';
import { BARE_TASK_ID } from './bare-contract';

const EXEC_ARGV = ['--conditions=taskflow-source', '--import', 'tsx'];

export interface BareOptions {
  sockets: number;
  /** Broadcasts per second to the room: each socket receives this many frames per second. */
  framesPerSocketPerSec: number;
  durationS: number;
  redisUrl: string;
  /** The product cluster's HAProxy config; when given, the baseline also runs behind a copy of it. */
  haproxyCfg: string | undefined;
  behindHaproxy: boolean;
  children: number;
  connectsPerSec: number;
  generatorPids: () => number[];
  /** The Redis the baseline broadcasts through (the product's own, idle meanwhile). */
  redisPids: () => number[];
  log: (line: string) => void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function waitMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`baseline process did not send ${type} in ${timeoutMs} ms`)), timeoutMs);
    child.on('message', (m: { type?: string }) => {
      if (m?.type !== type) return;
      clearTimeout(timer);
      resolve(m as T);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`baseline process exited (code ${code}) before ${type}`));
    });
  });
}

/**
 * The product's HAProxy config pointed at the baseline's nodes: same global, defaults,
 * frontend and backend settings; only the bind port, the stats socket and the server
 * addresses change (slots left over are dropped).
 */
export function haproxyConfigFor(template: string, opts: { port: number; statsSocket: string; serverPorts: number[] }): string {
  let index = 0;
  return template
    .replace(/^(\s*bind\s+)\S+/m, `$1127.0.0.1:${opts.port}`)
    .replace(/^(\s*stats socket\s+)\S+/m, `$1${opts.statsSocket}`)
    .replace(/^(\s*server\s+\S+\s+)\S+(.*)$/gm, (_line, head: string, tail: string) => {
      const port = opts.serverPorts[index++];
      return port === undefined ? '' : `${head}127.0.0.1:${port}${tail.replace(/\s+disabled\b/, '')}`;
    });
}

/** Runs the bare fan-out, directly against its two nodes and (optionally) behind HAProxy, at the given frame rate. */
export async function runBareBaseline(opts: BareOptions): Promise<{ direct: Measurement; haproxy: Measurement | undefined }> {
  const ports = [await freePort(), await freePort()];
  const servers = ports.map((port) =>
    fork(path.join(__dirname, 'bare-server.ts'), [], {
      execArgv: EXEC_ARGV,
      env: { ...process.env, PORT: String(port), REDIS_URL: opts.redisUrl },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  let haproxy: ChildProcess | undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-bare-'));
  try {
    await Promise.all(servers.map((s) => waitMessage(s, 'listening', 30_000)));
    const components = {
      bare_nodes: { pids: () => servers.map((s) => s.pid!), descendants: true },
      haproxy: { pids: () => (haproxy?.pid ? [haproxy.pid] : []), descendants: true },
      redis: { pids: opts.redisPids, descendants: true },
      generator: { pids: () => [process.pid, ...opts.generatorPids()], descendants: false },
    };
    const run = async (label: string, urls: string[]): Promise<Measurement> => {
      const pool = new GeneratorPool(opts.children);
      const gen = components.generator;
      const phaseComponents = { ...components, generator: { pids: () => [...gen.pids(), ...pool.pids], descendants: false } };
      let finalSeq = 0;
      try {
        const plans: SocketPlan[] = Array.from({ length: opts.sockets }, (_, i) => ({
          scope: 'bare',
          token: undefined,
          join: { event: 'dashboard:join', data: {} },
          localAddress: undefined,
          url: urls[i % urls.length],
        }));
        return await measurePhase({
          label,
          pool,
          // Direct: half the sockets on each node, as HAProxy's leastconn would spread them.
          url: urls[0]!,
          plans,
          connectsPerSec: opts.connectsPerSec,
          components: phaseComponents,
          serverComponents: ['bare_nodes'],
          drive: async () => {
            const emitter = fork(path.join(__dirname, 'bare-emitter.ts'), [], {
              execArgv: EXEC_ARGV,
              env: {
                ...process.env,
                REDIS_URL: opts.redisUrl,
                RATE: String(opts.framesPerSocketPerSec),
                DURATION_MS: String(opts.durationS * 1000),
              },
              stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
            });
            finalSeq = (await waitMessage<{ finalSeq: number }>(emitter, 'done', opts.durationS * 1000 + 30_000)).finalSeq;
          },
          finals: async () => ({ bare: { [BARE_TASK_ID]: finalSeq } }),
        });
      } finally {
        await pool.close();
      }
    };
    const direct = await run(
      'bare, direct',
      ports.map((p) => `http://127.0.0.1:${p}`),
    );
    opts.log(`baseline direct: p99 ${direct.p99Ms} ms at ${direct.deliveriesPerSec} deliveries/s`);
    if (!opts.behindHaproxy || !opts.haproxyCfg) return { direct, haproxy: undefined };
    const port = await freePort();
    const cfg = path.join(tmp, 'haproxy.cfg');
    fs.writeFileSync(cfg, haproxyConfigFor(opts.haproxyCfg, { port, statsSocket: path.join(tmp, 'haproxy.sock'), serverPorts: ports }));
    haproxy = spawn('haproxy', ['-db', '-f', cfg], { stdio: 'ignore' });
    await waitReady(`http://127.0.0.1:${port}/api/ready`, 15_000);
    const behind = await run('bare, behind HAProxy', [`http://127.0.0.1:${port}`]);
    opts.log(`baseline behind HAProxy: p99 ${behind.p99Ms} ms at ${behind.deliveriesPerSec} deliveries/s`);
    return { direct, haproxy: behind };
  } finally {
    haproxy?.kill('SIGUSR1');
    for (const s of servers) s.kill('SIGTERM');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // HAProxy marks servers up after `rise` checks: wait until it routes.
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer 200 in ${timeoutMs} ms`);
}
