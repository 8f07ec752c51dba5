import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startChild, stopChild, type Child } from './child';

/**
 * HAProxy in front of the local server nodes, from Debian's package. The
 * config mirrors infra/haproxy/haproxy.cfg (the containers' one) with the local
 * node ports filled in.
 */
export function haproxyConfig(opts: { port: number; nodes: Array<{ name: string; port: number }> }): string {
  const template = fs.readFileSync(path.join(__dirname, '../../../infra/haproxy/haproxy.cfg'), 'utf8');
  const servers = opts.nodes.map((n) => `  server ${n.name} 127.0.0.1:${n.port} check cookie ${n.name}`).join('\n');
  return template
    .replace(/^ {2}maxconn \d+$/m, `  maxconn ${maxconnForFdLimit()}`)
    .replace(/^ {2}bind \*:8080$/m, `  bind 127.0.0.1:${opts.port}`)
    .replace(/^ {2}server .*$(\n {2}server .*$)*/m, servers);
}

export function startHaproxy(opts: { configFile: string; config: string; logFile: string }): Child & { stop(): Promise<void> } {
  fs.writeFileSync(opts.configFile, opts.config);
  const log = fs.openSync(opts.logFile, 'a');
  // -db: stay in the foreground, so this supervisor owns the process.
  const child = startChild('haproxy', 'haproxy', ['-db', '-f', opts.configFile], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  return { ...child, stop: () => stopChild(child, 'SIGUSR1', 5000) };
}

/** HAProxy needs two descriptors per proxied connection; stay within this machine's hard limit. */
function maxconnForFdLimit(): number {
  try {
    const limit = Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim());
    if (Number.isFinite(limit) && limit > 0) return Math.max(1000, Math.floor((limit - 200) / 2));
  } catch {
    // fall through
  }
  return 4000;
}
