import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '@taskflow/platform';
import type { ClusterStatus, ProcessStatus } from './cluster-status';
import { loadStackEnv } from './config';
import { CONTROL_SOCKET, socketDir } from './control-server';

/**
 * `npm run cluster:ctl -- <command>`: controls the stack `npm run cluster` (or
 * `npm start`) runs under the same DATA_DIR, through its supervisor's Unix socket.
 */
const USAGE = `usage: npm run cluster:ctl -- <command> [--json]
  status                              nodes and workers: pid, port, state, uptime, sockets
  scale [--nodes N] [--workers M]     start, or drain and stop, processes until the counts match
  restart                             rolling restart: every node, one at a time, then every worker
env: DATA_DIR (the running stack's, default .data)`;

class UsageError extends Error {}

function parse(argv: string[]): { command: string; body?: object; json: boolean } {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { nodes: { type: 'string' }, workers: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const [command, ...extra] = positionals;
  if (!command || !['status', 'scale', 'restart'].includes(command) || extra.length)
    throw new UsageError(`unknown or missing command${command ? ` "${[command, ...extra].join(' ')}"` : ''}`);
  const json = values.json ?? false;
  if (command !== 'scale') {
    if (values.nodes !== undefined || values.workers !== undefined) throw new UsageError(`--nodes/--workers only go with scale`);
    return { command, json };
  }
  const count = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a whole number (got "${v}")`);
    return Number(v);
  };
  const body = { nodes: count('nodes', values.nodes), workers: count('workers', values.workers) };
  if (body.nodes === undefined && body.workers === undefined) throw new UsageError('scale needs --nodes and/or --workers');
  return { command, body, json };
}

/** Sends one command and prints progress lines as they come; resolves with the final line. */
function call(
  socketPath: string,
  method: string,
  route: string,
  body: object | undefined,
  onLine: (line: Record<string, unknown>) => void,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: route, headers: { 'content-type': 'application/json' } }, (res) => {
      let buffer = '';
      let last: Record<string, unknown> | undefined;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
          const line = JSON.parse(buffer.slice(0, i)) as Record<string, unknown>;
          buffer = buffer.slice(i + 1);
          if ('ok' in line) last = line;
          else onLine(line);
        }
      });
      res.on('end', () => (last ? resolve(last) : reject(new Error('the supervisor closed the connection without an answer'))));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

function table(status: ClusterStatus): string {
  const row = (p: ProcessStatus) =>
    [
      p.name,
      p.pid ?? '-',
      p.port ?? '-',
      p.state + (p.haproxy ? ` (haproxy ${p.haproxy})` : ''),
      p.uptimeSeconds === null ? '-' : `${p.uptimeSeconds}s`,
      p.kind === 'node' ? `${p.sockets ?? '-'} sockets / ${p.users ?? '-'} users` : '',
      p.exits ? `${p.exits} crash(es)` : '',
    ].map(String);
  const rows = [['NAME', 'PID', 'PORT', 'STATE', 'UPTIME', 'CONNECTIONS', 'EXITS'], ...[...status.nodes, ...status.workers].map(row)];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return [
    `${status.url}`,
    ...rows.map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    ),
  ].join('\n');
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const env = loadStackEnv();
  const socketPath = path.join(socketDir(env.DATA_DIR), CONTROL_SOCKET);
  if (!fs.existsSync(socketPath)) {
    console.error(`no running stack under ${env.DATA_DIR} (no ${CONTROL_SOCKET}): start one with npm run cluster, or set DATA_DIR`);
    return 1;
  }
  const [method, route] = parsed.command === 'status' ? ['GET', '/status'] : ['POST', `/${parsed.command}`];
  const answer = await call(socketPath, method, route, parsed.body, (line) => !parsed.json && console.log(String(line.progress)));
  if (parsed.json) console.log(JSON.stringify(answer));
  else if (answer.ok) {
    if (typeof answer.tookMs === 'number') console.log(`done in ${(answer.tookMs / 1000).toFixed(1)} s`);
    console.log(table(answer.status as ClusterStatus));
  } else console.error(`refused: ${String(answer.error)}`);
  return answer.ok ? 0 : answer.badRequest ? 2 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  },
);
