import type pg from 'pg';
import { until } from './proc';
import type { StackAccess } from './stack-access';

/** One component on a host of its own: a compose container, or a process in a network namespace of its own. */
export interface HostView {
  id: string;
  /** The compose service: server, worker, migrate, haproxy, postgres, redis. */
  service: string;
  name: string;
  status: 'running' | 'exited' | 'paused' | string;
  /** A server's health check (GET /api/ready answers 200), where the component has one. */
  health?: string;
  exitCode: number;
  /** How often the restart policy brought it back. */
  restarts: number;
  /** Its first process as this machine sees it (0 when not running). */
  pid: number;
  /** The server's NODE_ID (the container's hostname, or the namespace's host name). */
  hostname: string;
  /** Its address on the network the components share: never loopback. */
  address: string;
  /** Its environment, as NAME=value lines. */
  env: string[];
}

/**
 * docker-compose.yml's topology (migrate job, N servers behind HAProxy, M workers, PostgreSQL, Redis), each component
 * on a host of its own, and the faults an operator meets there, whatever runs the hosts.
 */
export interface SeparateHosts extends StackAccess {
  /** `containers`: docker-compose on a Docker engine; `namespaces`: processes in Linux network namespaces. */
  readonly kind: 'containers' | 'namespaces';
  hosts(service?: string): Promise<HostView[]>;
  /** SIGKILL from outside, as the OOM killer would: the restart policy brings it back. */
  crash(host: HostView): Promise<void>;
  /** Frozen (cgroup freezer, or SIGSTOP) for `ms`, then thawed. */
  pause(host: HostView, ms: number): Promise<void>;
  /** Off the shared network for `ms`, then back under the same names. */
  partition(host: HostView, ms: number): Promise<void>;
  /** Scales the server replicas in to `servers`: the others drain and stop. */
  scaleServersTo(servers: number): Promise<void>;
  /** `servers` healthy server replicas, and HAProxy answering /api/ready. */
  untilServing(servers: number, timeoutMs: number): Promise<void>;
  /** The user id the component's process runs as. */
  uidOf(host: HostView): Promise<number>;
  connectDb(): Promise<pg.Pool>;
  /** The last log lines of every component, for a failure's message. */
  logs(lines?: number): Promise<string>;
  stop(): Promise<void>;
}

export interface SeparateHostsOptions {
  servers: number;
  workers: number;
  log: (line: string) => void;
}

/** `servers` server replicas running and healthy (their health check), and HAProxy answering /api/ready. */
export async function untilServing(stack: Pick<SeparateHosts, 'hosts' | 'url'>, servers: number, timeoutMs: number): Promise<void> {
  await until(
    `${servers} healthy server replicas behind HAProxy`,
    async () => {
      const healthy = (await stack.hosts('server')).filter((h) => h.status === 'running' && h.health === 'healthy');
      if (healthy.length < servers) return false;
      const res = await fetch(`${stack.url}/api/ready`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
      return res?.status === 200;
    },
    timeoutMs,
    1000,
  );
}
