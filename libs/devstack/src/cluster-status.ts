import { HAPROXY_BACKEND } from './haproxy';
import type { Supervisor } from './supervisor';

/** `1 worker`, `2 workers`. */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export interface ProcessStatus {
  kind: 'node' | 'worker';
  name: string;
  pid: number | null;
  port: number | null;
  state: string;
  uptimeSeconds: number | null;
  /** Unexpected exits since it was started (or last restarted by an operator). */
  exits: number;
  /** Nodes: HAProxy's view of the slot (UP, DOWN, DRAIN, MAINT…), sockets and users from the node itself. */
  haproxy?: string;
  sockets?: number | null;
  users?: number | null;
}

export interface ClusterStatus {
  url: string;
  nodes: ProcessStatus[];
  workers: ProcessStatus[];
}

/** The running stack as `cluster:ctl status` shows it. */
export async function clusterStatus(supervisor: Supervisor, url: string): Promise<ClusterStatus> {
  const haproxyStates = await readHaproxyStates(supervisor);
  const base = (m: Supervisor['processes'][number]): ProcessStatus => {
    const up = Boolean(m.child && m.child.process.exitCode === null && m.child.process.signalCode === null);
    return {
      kind: m.kind,
      name: m.name,
      pid: up ? (m.child?.process.pid ?? null) : null,
      port: m.port ?? null,
      state: m.state,
      uptimeSeconds: up ? Math.round((Date.now() - m.startedAt) / 1000) : null,
      exits: m.exits,
    };
  };
  const nodes = await Promise.all(
    supervisor.nodes.map(async (m) => {
      const s = base(m);
      const live = s.pid && m.metricsPort ? await nodeSockets(m.metricsPort) : { sockets: null, users: null };
      return { ...s, ...(haproxyStates ? { haproxy: haproxyStates.get(m.name) ?? 'unknown' } : {}), ...live };
    }),
  );
  return { url, nodes, workers: supervisor.workers.map(base) };
}

async function readHaproxyStates(supervisor: Supervisor): Promise<Map<string, string> | undefined> {
  const haproxy = supervisor.haproxy;
  if (!haproxy) return undefined;
  // `show stat` is CSV; its `status` column is HAProxy's state of each server.
  const csv = await haproxy.command('show stat').catch(() => '');
  const [header, ...rows] = csv.split('\n');
  const cols = (header ?? '').replace(/^# /, '').split(',');
  const [px, sv, st] = ['pxname', 'svname', 'status'].map((c) => cols.indexOf(c));
  const states = new Map<string, string>();
  for (const row of rows) {
    const f = row.split(',');
    if (f[px!] === HAPROXY_BACKEND && f[sv!] && f[sv!] !== 'BACKEND') states.set(f[sv!]!, f[st!]!);
  }
  return states;
}

/** From the node's metrics listener: the public /api/health does not tell who is connected. */
async function nodeSockets(metricsPort: number): Promise<{ sockets: number | null; users: number | null }> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  const ws = (
    (await res?.json().catch(() => undefined)) as { websocket?: { connectedUsers?: number; connectedSockets?: number } } | undefined
  )?.websocket;
  return { sockets: ws?.connectedSockets ?? null, users: ws?.connectedUsers ?? null };
}
