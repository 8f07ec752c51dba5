import fs from 'node:fs';
import path from 'node:path';
import type { ProcessState } from './supervisor';

/** One supervised process as stack.json lists it (pid null while it is down). */
export interface StackProcess {
  name: string;
  pid: number | null;
  /** Nodes: the public port, and the loopback metrics listener (/metrics, GET /health). */
  port?: number;
  metricsPort?: number;
  state: ProcessState;
}

/**
 * `<DATA_DIR>/stack.json`: what a running local stack (`npm start`, `npm run cluster`) says about itself, rewritten
 * whenever the supervisor starts or loses a process and removed when the stack stops. Written by `startStack`; read
 * by the tools (app-url, `npm run jobs`), the bench and the fault suites.
 */
export interface StackState {
  url: string;
  supervisorPid: number;
  /** The supervisor's control socket (`npm run cluster:ctl`). */
  control: string;
  /** Every live process of the stack, services included: what a cleanup must stop. */
  pids: number[];
  nodes: StackProcess[];
  workers: StackProcess[];
  /** The entry point: its first process, and every one when LB_PROCESSES > 1. */
  haproxy: { pid?: number; pids?: number[] } | null;
  /** The stack's own PostgreSQL and Redis; null when it uses given ones (DATABASE_URL, REDIS_URL). */
  postgres: { pid: number; port: number } | null;
  redis: { pid: number; port: number } | null;
  /** `REDIS_MODE=cluster` without REDIS_CLUSTER_NODES: the private Redis Cluster's nodes (masters and replicas), else null. */
  redisCluster?: Array<{ pid: number; port: number }> | null;
}

export const stackStateFile = (dataDir: string) => path.join(dataDir, 'stack.json');

/** The stack.json in `dataDir`, or undefined when there is none (no stack, or it stopped) or it cannot be read. */
export function readStackState(dataDir: string): StackState | undefined {
  try {
    const state = JSON.parse(fs.readFileSync(stackStateFile(dataDir), 'utf8')) as Partial<StackState> | null;
    return state && typeof state.url === 'string' && typeof state.supervisorPid === 'number' ? (state as StackState) : undefined;
  } catch {
    return undefined;
  }
}
