import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { clusterStatus, plural } from './cluster-status';
import { HAPROXY_SLOTS } from './haproxy';
import type { Supervisor } from './supervisor';

/** The control endpoint's file name in the data directory. */
export const CONTROL_SOCKET = 'control.sock';

/**
 * Where the control and HAProxy sockets go: the data directory, unless its path is too long for a Unix socket
 * (about 100 bytes); then a private directory under the system's temporary one, named after it.
 */
export function socketDir(dataDir: string): string {
  if (Buffer.byteLength(path.join(dataDir, 'haproxy.sock')) <= 100) return dataDir;
  const dir = path.join(os.tmpdir(), `taskflow-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** How often a running command's answer says it is still working (a `{ heartbeat: true }` line). */
const HEARTBEAT_MS = 1000;

/** Largest worker count `scale` accepts (as NODES/WORKERS at start). */
export const MAX_WORKERS = 16;

type Reply = (line: object) => void;
type Handler = (body: Record<string, unknown>, progress: Reply) => Promise<object>;

/**
 * The running supervisor's control endpoint for `npm run cluster:ctl`: HTTP on
 * a Unix socket in the data directory (owner-only), so nothing listens on the
 * network. Each answer is newline-delimited JSON: progress lines, then one
 * `{ ok, … }` line.
 */
export function startControlServer(opts: { socketPath: string; supervisor: Supervisor; url: string; log(line: string): void }): {
  close(): Promise<void>;
} {
  const { supervisor, url } = opts;
  const routes: Record<string, Handler> = {
    'GET /status': async () => ({ status: await clusterStatus(supervisor, url) }),
    'POST /scale': async (body, progress) => {
      const target = parseScale(body);
      if (!supervisor.haproxy && target.nodes !== undefined && target.nodes !== 1)
        throw new BadRequest('npm start runs one node without HAProxy: use npm run cluster to scale nodes');
      const before = { nodes: supervisor.nodes.length, workers: supervisor.workers.length };
      opts.log(
        `scaling: ${before.nodes} → ${plural(target.nodes ?? before.nodes, 'node')}, ${before.workers} → ${plural(target.workers ?? before.workers, 'worker')}`,
      );
      await supervisor.exclusive(() => supervisor.scale(target));
      progress({ progress: `now ${plural(supervisor.nodes.length, 'node')}, ${plural(supervisor.workers.length, 'worker')}` });
      return { status: await clusterStatus(supervisor, url) };
    },
    'POST /restart': async (_body, progress) => {
      opts.log('rolling restart: started');
      const started = Date.now();
      await supervisor.exclusive(() =>
        supervisor.restart((line) => {
          opts.log(`rolling restart: ${line}`);
          progress({ progress: line });
        }),
      );
      opts.log(`rolling restart: done in ${Date.now() - started} ms`);
      return { tookMs: Date.now() - started, status: await clusterStatus(supervisor, url) };
    },
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      // Answer at once, then keep saying so while a long command runs: cluster:ctl gives up after 5 s of silence.
      res.flushHeaders();
      const send: Reply = (line) => res.write(`${JSON.stringify(line)}\n`);
      const heartbeat = setInterval(() => send({ heartbeat: true }), HEARTBEAT_MS);
      res.on('close', () => clearInterval(heartbeat));
      const handler = routes[`${req.method} ${(req.url ?? '').split('?')[0]}`];
      const run = async () => {
        if (!handler) throw new BadRequest(`unknown command ${req.method} ${req.url} (expected ${Object.keys(routes).join(', ')})`);
        let body: Record<string, unknown> = {};
        try {
          body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
        } catch {
          throw new BadRequest('the request body is not JSON');
        }
        return handler(body, send);
      };
      run().then(
        (result) => res.end(`${JSON.stringify({ ok: true, ...result })}\n`),
        (err: Error) => res.end(`${JSON.stringify({ ok: false, error: err.message, badRequest: err instanceof BadRequest })}\n`),
      );
    });
  });
  fs.rmSync(opts.socketPath, { force: true });
  server.listen(opts.socketPath, () => fs.chmodSync(opts.socketPath, 0o600));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        fs.rmSync(opts.socketPath, { force: true });
      }),
  };
}

class BadRequest extends Error {}

/** `{ nodes?, workers? }`, each an integer within the limits; anything else is refused before anything changes. */
export function parseScale(body: Record<string, unknown>): { nodes?: number; workers?: number } {
  const problems: string[] = [];
  const read = (key: 'nodes' | 'workers', max: number) => {
    const v = body[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
      problems.push(`${key} must be an integer from 1 to ${max} (got ${JSON.stringify(v)})`);
    return v as number;
  };
  const target = { nodes: read('nodes', HAPROXY_SLOTS), workers: read('workers', MAX_WORKERS) };
  const unknown = Object.keys(body).filter((k) => k !== 'nodes' && k !== 'workers');
  if (unknown.length) problems.push(`unknown field(s): ${unknown.join(', ')}`);
  if (target.nodes === undefined && target.workers === undefined && !problems.length) problems.push('give --nodes and/or --workers');
  if (problems.length) throw new BadRequest(problems.join('; '));
  return Object.fromEntries(Object.entries(target).filter(([, v]) => v !== undefined));
}
