import fs from 'node:fs';
import path from 'node:path';
import type { SocketPlan } from '../client/messages';
import type { OrgUsers } from '../drive/task-driver';
import type { PidSource } from '../sample/proc-sampler';
import type { BenchCluster } from '../stack/cluster';
import type { BenchOptions } from '../options';

/** Everything a scenario needs: the running product, its users with tokens, and how to sample it. */
export interface ScenarioContext {
  opts: BenchOptions;
  url: string;
  cluster: BenchCluster | undefined;
  orgs: OrgUsers[];
  webhookSecret: string;
  /** Each server node's own URL (logins); empty when only `--url` is known. */
  nodeUrls(): string[];
  /** Each server node's metrics endpoint (event-loop delay). */
  metricsUrls(): Promise<string[]>;
  /** Pid sources of the product's components, plus the harness (the generator adds its children). */
  components(generatorPids: () => number[]): Record<string, PidSource>;
  haproxyCfg: string | undefined;
  redisUrl: string | undefined;
  /** A browser session cookie for each user, keyed by the user's Bearer token (logged in on first use). */
  browserCookies(): Promise<Map<string, string>>;
  log(line: string): void;
}

export function productComponents(cluster: BenchCluster | undefined, generatorPids: () => number[]): Record<string, PidSource> {
  const state = () => {
    try {
      return cluster?.state();
    } catch {
      return undefined;
    }
  };
  const pids = (list: Array<{ pid?: number | null }> | undefined) => (list ?? []).map((e) => e.pid).filter((p): p is number => Boolean(p));
  return {
    nodes: { pids: () => pids(state()?.nodes), descendants: true },
    workers: { pids: () => pids(state()?.workers), descendants: true },
    haproxy: { pids: () => pids([state()?.haproxy ?? { pid: null }]), descendants: true },
    // One redis-server, or the six of a private Redis Cluster (REDIS_MODE=cluster).
    redis: { pids: () => pids([state()?.redis ?? { pid: null }, ...(state()?.redisCluster ?? [])]), descendants: true },
    postgres: { pids: () => pids([state()?.postgres ?? { pid: null }]), descendants: true },
    generator: { pids: () => [process.pid, ...generatorPids()], descendants: false },
  };
}

export function readHaproxyCfg(cluster: BenchCluster | undefined): string | undefined {
  if (!cluster) return undefined;
  const file = path.join(cluster.dataDir, 'haproxy.cfg');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

/** Source address of the i-th socket: one loopback address per 25,000 sockets (a port range holds ~28k). */
export function sourceAddress(i: number, sockets: number): string | undefined {
  return sockets > 25_000 ? `127.0.0.${2 + Math.floor(i / 25_000)}` : undefined;
}

/** `n` dashboard sockets dealt over the orgs and, within each org, over its users. */
export function dashboardPlans(ctx: ScenarioContext, n: number, orgs: OrgUsers[] = ctx.orgs): SocketPlan[] {
  return Array.from({ length: n }, (_, i) => {
    const org = orgs[i % orgs.length]!;
    const token = org.tokens[Math.floor(i / orgs.length) % org.tokens.length];
    return { scope: org.orgId, token, join: { event: 'dashboard:join', data: { batch: true } }, localAddress: sourceAddress(i, n) };
  });
}
