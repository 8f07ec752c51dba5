import fs from 'node:fs';

/** TCP ports a process listens on, from its socket inodes and /proc/net/tcp{,6}. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT, st 0A is LISTEN, inode is the 10th field.
      if (f[3] === '0A' && f[9] && inodes.has(f[9])) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return [...new Set(ports)];
}

/**
 * Where each server node serves Prometheus metrics: its own metrics listener (a port of
 * its own, found from /proc since it may be chosen at random), else its public port.
 * Found once per process and remembered.
 */
export class MetricsEndpoints {
  private readonly found = new Map<number, string | null>();

  async urls(nodes: Array<{ pid: number | null; port?: number }>): Promise<string[]> {
    const out: string[] = [];
    for (const node of nodes) {
      if (!node.pid) continue;
      if (!this.found.has(node.pid)) this.found.set(node.pid, await this.discover(node.pid, node.port));
      const url = this.found.get(node.pid);
      if (url) out.push(url);
    }
    return out;
  }

  private async discover(pid: number, publicPort: number | undefined): Promise<string | null> {
    const candidates = [...listeningPorts(pid).filter((p) => p !== publicPort), ...(publicPort ? [publicPort] : [])];
    for (const port of candidates) {
      const ok = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) }).then(
        async (r) => r.ok && (await r.text()).includes('nodejs_eventloop_lag'),
        () => false,
      );
      if (ok) return `http://127.0.0.1:${port}`;
    }
    return null;
  }
}
