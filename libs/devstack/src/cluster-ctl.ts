import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '@taskflow/platform';
import { plural, type ClusterStatus, type ProcessStatus } from './cluster-status';
import { loadStackEnv } from './config';
import { CONTROL_SOCKET, socketDir } from './control-server';

/**
 * `npm run cluster:ctl -- <command>`: controls the stack `npm run cluster` (or
 * `npm start`) runs under the same DATA_DIR, through its supervisor's Unix socket.
 */
const USAGE = `usage: npm run cluster:ctl -- <command> [--json]
  status                              nodes and workers: pid, port, state, uptime, sockets, unexpected exits
  scale [--nodes N] [--workers M]     start, or drain and stop, processes until the counts match
  restart                             rolling restart: every node, one at a time, then every worker
env: DATA_DIR (the running stack's, default .data). Gives up when its supervisor is silent for 5 s.`;

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

/** How long the supervisor may stay silent: before it answers at all, and between two lines (it sends one every second). */
const ANSWER_TIMEOUT_MS = 5000;

/** A failure said in one line (no stack trace). */
class CtlError extends Error {}

/** Sends one command and prints progress lines as they come; resolves with the final line, or gives up after ANSWER_TIMEOUT_MS of silence. */
function call(
  socketPath: string,
  method: string,
  route: string,
  body: object | undefined,
  onLine: (line: Record<string, unknown>) => void,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const fail = (message: string) =>
      settle(() => {
        req.destroy();
        reject(new CtlError(message));
      });
    let answered = false;
    let timer: NodeJS.Timeout;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          fail(
            answered
              ? `the stack's supervisor (${socketPath}) went silent for ${ANSWER_TIMEOUT_MS / 1000} s mid-answer: giving up; its own log says what it is doing`
              : `the stack's supervisor (${socketPath}) did not answer within ${ANSWER_TIMEOUT_MS / 1000} s: is that stack stopped or stuck?`,
          ),
        ANSWER_TIMEOUT_MS,
      );
    };
    arm();
    const req = http.request({ socketPath, method, path: route, headers: { 'content-type': 'application/json' } }, (res) => {
      answered = true;
      arm();
      let buffer = '';
      let last: Record<string, unknown> | undefined;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        arm();
        buffer += chunk;
        for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
          const text = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          let line: Record<string, unknown>;
          try {
            line = JSON.parse(text) as Record<string, unknown>;
          } catch {
            return fail(`the stack's supervisor (${socketPath}) answered something that is not JSON: ${text.slice(0, 80)}`);
          }
          if ('ok' in line) last = line;
          else if ('progress' in line) onLine(line);
          // Anything else is its heartbeat.
        }
      });
      res.on('end', () => {
        const answer = last;
        if (answer) settle(() => resolve(answer));
        else fail(`the stack's supervisor (${socketPath}) closed the connection without an answer`);
      });
      res.on('error', () => fail(`the stack's supervisor (${socketPath}) closed the connection mid-answer`));
      res.on('close', () => !res.complete && fail(`the stack's supervisor (${socketPath}) closed the connection mid-answer`));
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      fail(
        err.code === 'ECONNREFUSED' || err.code === 'ENOENT'
          ? `no running stack answers on ${socketPath} (${err.code}: left behind by a stack that was killed?): start one with npm run cluster, or set DATA_DIR`
          : `could not reach the stack's supervisor on ${socketPath}: ${err.message}`,
      ),
    );
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
      p.kind === 'node'
        ? `${p.sockets === null || p.sockets === undefined ? '- sockets' : plural(p.sockets, 'socket')} / ${p.users === null || p.users === undefined ? '- users' : plural(p.users, 'user')}`
        : '',
      String(p.exits),
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
    console.error(err instanceof ConfigError || err instanceof CtlError ? err.message : err);
    process.exit(1);
  },
);
