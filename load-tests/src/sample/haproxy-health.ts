import fs from 'node:fs';
import net from 'node:net';

/** The product's HAProxy backend (libs/devstack `HAPROXY_BACKEND`). */
const PRODUCT_BACKEND = 'servers';

export interface HealthTransitions {
  /** Servers marked DOWN by their health checks (not maintenance: the stack's own membership changes). */
  down: number;
  /** Servers brought back UP by their health checks. */
  up: number;
  samples: string[];
}

export interface HealthReport extends HealthTransitions {
  /** Individual failed checks (`chkfail` of `show stat`), also those that did not reach `fall`; null without the stats socket. */
  failedChecks: number | null;
}

// HAProxy in the foreground (-db) writes state changes to stderr, e.g.
// "[WARNING]  (123) : Server servers/server-2 is DOWN, reason: Layer7 timeout, check duration: 3001ms. ..."
// Check-driven changes always carry ", reason:"; "is UP/READY (leaving forced maintenance)" and
// "is going DOWN for maintenance" are the stack adding or removing a node.
const TRANSITION = /Server ([^/\s]+)\/(\S+) is (DOWN|UP), reason:/;

/** Counts check-driven DOWN / UP transitions of `backend`'s servers in HAProxy log text. */
export function countHealthTransitions(logText: string, backend = PRODUCT_BACKEND): HealthTransitions {
  const out: HealthTransitions = { down: 0, up: 0, samples: [] };
  for (const line of logText.split('\n')) {
    const m = TRANSITION.exec(line);
    if (!m || m[1] !== backend) continue;
    if (m[3] === 'DOWN') out.down += 1;
    else out.up += 1;
    if (out.samples.length < 5) out.samples.push(line.slice(line.indexOf('Server ')).trim().slice(0, 200));
  }
  return out;
}

/** `chkfail` summed over `backend`'s servers, from the CSV HAProxy's `show stat` prints (header line `# pxname,svname,...`). */
export function failedChecksFromStat(csv: string, backend = PRODUCT_BACKEND): number | null {
  const lines = csv.split('\n').filter((l) => l.trim());
  const header = lines[0]?.replace(/^#\s*/, '').split(',');
  const col = (name: string) => header?.indexOf(name) ?? -1;
  const [px, sv, chk] = [col('pxname'), col('svname'), col('chkfail')];
  if (px < 0 || sv < 0 || chk < 0) return null;
  let total = 0;
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    if (f[px] !== backend || f[sv] === 'BACKEND' || f[sv] === 'FRONTEND') continue;
    total += Number(f[chk]) || 0;
  }
  return total;
}

function statsCommand(socketPath: string, line: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const conn = net.createConnection(socketPath, () => conn.end(`${line}\n`));
    conn.setTimeout(timeoutMs, () => conn.destroy(new Error(`HAProxy stats socket did not answer in ${timeoutMs} ms`)));
    conn.on('data', (d) => (out += d.toString()));
    conn.on('end', () => resolve(out));
    conn.on('error', reject);
  });
}

/**
 * Health of the product's servers over one measured window: check-driven transitions from the part of
 * HAProxy's log written during the window, and failed checks from the stats socket before and after.
 */
export class HaproxyHealthWatch {
  private offset = 0;
  private chkfail0: number | null = null;

  constructor(
    private readonly logFile: string,
    private readonly statsSocket: string | undefined,
  ) {}

  private async chkfail(): Promise<number | null> {
    if (!this.statsSocket || !fs.existsSync(this.statsSocket)) return null;
    try {
      return failedChecksFromStat(await statsCommand(this.statsSocket, 'show stat'));
    } catch {
      return null;
    }
  }

  async start(): Promise<void> {
    this.offset = fs.existsSync(this.logFile) ? fs.statSync(this.logFile).size : 0;
    this.chkfail0 = await this.chkfail();
  }

  async stop(): Promise<HealthReport> {
    let text = '';
    if (fs.existsSync(this.logFile)) {
      const fd = fs.openSync(this.logFile, 'r');
      try {
        const size = fs.fstatSync(fd).size;
        const buf = Buffer.alloc(Math.max(0, size - this.offset));
        fs.readSync(fd, buf, 0, buf.length, this.offset);
        text = buf.toString('utf8');
      } finally {
        fs.closeSync(fd);
      }
    }
    const chkfail1 = await this.chkfail();
    const failedChecks = this.chkfail0 !== null && chkfail1 !== null ? chkfail1 - this.chkfail0 : null;
    return { ...countHealthTransitions(text), failedChecks };
  }
}
