import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ensureDatabase, isAlive, nodeTsArgs, startPostgres, startRedis, type PostgresHandle, type RedisHandle } from '@taskflow/devstack';
import { runTestProcess, spawnTestProcess, type TestProcess } from '@taskflow/testing';
import { baseEnv, DEMO_PASSWORD, FAST_TIMINGS } from './cluster';
import { sleep } from './proc';
import { untilServing, type HostView, type SeparateHosts, type SeparateHostsOptions } from './separate-hosts';

const REPO_ROOT = path.resolve(__dirname, '../../../..');
const APP_PORT = 3000;
const PUBLIC_PORT = 8080;
/** Long enough for the slowest suite on a busy machine; the suite's end stops them well before. */
const PROCESS_DEADLINE_MS = 90 * 60_000;
/** The restart policy's pause before a component that died unasked is started again. */
const RESTART_AFTER_MS = 1000;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** One component's host: a network namespace with one address on the test's bridge. */
interface Host {
  name: string;
  ns: string;
  address: string;
  /** Its veth's end on the bridge, in this machine's namespace: down = cut off the network. */
  link: string;
}

/**
 * A bridge of the test's own, and one network namespace per component on it, each with its own address in a /24 no
 * interface here uses, and an /etc/hosts (`/etc/netns/<ns>/hosts`, which `ip netns exec` puts in place) naming every
 * component, as Docker's DNS names compose services. This machine reaches them through the bridge's address.
 */
class NamespaceNet {
  readonly hosts = new Map<string, Host>();

  private constructor(
    readonly id: string,
    readonly bridge: string,
    readonly prefix: string,
  ) {}

  static create(names: string[]): NamespaceNet {
    if (process.getuid?.() !== 0) throw new Error('network namespaces need root, and this run is not root');
    const used = ip('-o', '-4', 'addr', 'show');
    let prefix = '';
    for (let i = 0; i < 50 && (!prefix || used.includes(` ${prefix}.`)); i++) prefix = `10.${randomInt(200, 250)}.${randomInt(1, 254)}`;
    const id = randomBytes(2).toString('hex');
    const net = new NamespaceNet(id, `tfbr${id}`, prefix);
    try {
      ip('link', 'add', net.bridge, 'type', 'bridge');
      ip('addr', 'add', `${prefix}.1/24`, 'dev', net.bridge);
      ip('link', 'set', net.bridge, 'up');
      names.forEach((name, i) => net.add(name, `${prefix}.${10 + i}`, i));
      const hosts = ['127.0.0.1 localhost', ...[...net.hosts.values()].map((h) => `${h.address} ${h.name}`)].join('\n') + '\n';
      for (const h of net.hosts.values()) {
        fs.mkdirSync(`/etc/netns/${h.ns}`, { recursive: true });
        fs.writeFileSync(`/etc/netns/${h.ns}/hosts`, hosts);
      }
      return net;
    } catch (err) {
      net.remove();
      throw err;
    }
  }

  private add(name: string, address: string, index: number): void {
    const host: Host = { name, ns: `tf${this.id}-${name}`, address, link: `tf${this.id}v${index}` };
    this.hosts.set(name, host);
    ip('netns', 'add', host.ns);
    ip('link', 'add', host.link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.ns);
    ip('link', 'set', host.link, 'master', this.bridge, 'up');
    const inNs = (...args: string[]) => ip('netns', 'exec', host.ns, 'ip', ...args);
    inNs('addr', 'add', `${address}/24`, 'dev', 'eth0');
    inNs('link', 'set', 'eth0', 'up');
    inNs('link', 'set', 'lo', 'up');
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  /** The command line that runs `command` inside the host's namespace. */
  exec(name: string, command: string, args: string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.host(name).ns, command, ...args]];
  }

  setLink(name: string, state: 'up' | 'down'): void {
    ip('link', 'set', this.host(name).link, state);
  }

  /** Every namespace (and whatever still runs in it), its /etc/netns folder, and the bridge. */
  remove(): void {
    for (const h of this.hosts.values()) {
      try {
        for (const pid of ip('netns', 'pids', h.ns).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
      try {
        ip('netns', 'del', h.ns);
      } catch {
        // never created
      }
      fs.rmSync(`/etc/netns/${h.ns}`, { recursive: true, force: true });
    }
    try {
      ip('link', 'del', this.bridge);
    } catch {
      // never created
    }
  }
}

/** A long-running component: started in its namespace, restarted when it dies unasked (compose's `unless-stopped`). */
class Component {
  proc: TestProcess | undefined;
  restarts = 0;
  status: 'running' | 'exited' | 'paused' = 'exited';
  exitCode = 0;
  private wanted = false;

  constructor(
    readonly service: string,
    readonly host: Host,
    readonly env: NodeJS.ProcessEnv,
    private readonly commandLine: [string, string[]],
  ) {}

  start(): void {
    this.wanted = true;
    const [command, args] = this.commandLine;
    const proc = spawnTestProcess(command, args, {
      name: this.host.name,
      deadlineMs: PROCESS_DEADLINE_MS,
      scope: 'suite',
      cwd: REPO_ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    this.status = 'running';
    void proc.exited.then(async (code) => {
      if (this.proc !== proc) return;
      this.status = 'exited';
      this.exitCode = code ?? 0;
      if (!this.wanted) return;
      await sleep(RESTART_AFTER_MS);
      if (this.wanted && this.proc === proc) {
        this.restarts += 1;
        this.start();
      }
    });
  }

  /** An orderly stop (SIGTERM: a server drains first); not restarted. */
  async stop(): Promise<void> {
    this.wanted = false;
    if (this.proc && this.status !== 'exited') {
      if (this.status === 'paused') process.kill(-this.proc.pid, 'SIGCONT');
      await this.proc.stop('SIGTERM', 20_000);
    }
  }

  signalGroup(signal: NodeJS.Signals): void {
    if (this.proc) process.kill(-this.proc.pid, signal);
  }

  view(health?: string): HostView {
    return {
      id: this.host.name,
      service: this.service,
      name: this.host.name,
      status: this.status,
      health,
      exitCode: this.exitCode,
      restarts: this.restarts,
      pid: this.status === 'exited' ? 0 : (this.proc?.pid ?? 0),
      hostname: this.host.name,
      address: this.host.address,
      env: envLines(this.env),
    };
  }
}

/**
 * docker-compose.yml's topology without a container engine: PostgreSQL, Redis, the migrate job, the server replicas,
 * the workers and HAProxy each run in a network namespace of their own (its own address on a bridge the test
 * creates), find each other by name, and are configured as compose configures the containers. HAProxy runs the
 * deployment's own config (infra/haproxy/haproxy.cfg), with the replicas listed by name instead of found through
 * Docker's DNS. Everything is removed at the end: processes, namespaces, bridge, data.
 */
export class NamespaceStack implements SeparateHosts {
  readonly kind = 'namespaces';
  readonly url: string;
  private pool?: pg.Pool;
  private postgres?: PostgresHandle;
  private redis?: RedisHandle;
  private readonly components: Component[] = [];
  private migrate: { exitCode: number; host: Host; env: NodeJS.ProcessEnv } | undefined;

  private constructor(
    private readonly net: NamespaceNet,
    private readonly dir: string,
    private readonly secrets: { postgres: string; redis: string; jwt: string; webhook: string },
  ) {
    this.url = `http://${net.host('haproxy').address}:${PUBLIC_PORT}`;
  }

  get webhookSecret(): string {
    return this.secrets.webhook;
  }

  static async start(opts: SeparateHostsOptions): Promise<NamespaceStack> {
    const servers = Array.from({ length: opts.servers }, (_, i) => `server-${i + 1}`);
    const workers = Array.from({ length: opts.workers }, (_, i) => `worker-${i + 1}`);
    const net = NamespaceNet.create(['postgres', 'redis', 'migrate', 'haproxy', ...servers, ...workers]);
    const secret = () => randomBytes(24).toString('base64url');
    const stack = new NamespaceStack(net, fs.mkdtempSync(path.join(os.tmpdir(), 'tf-netns-')), {
      postgres: secret(),
      redis: secret(),
      jwt: secret(),
      webhook: secret(),
    });
    try {
      const t = Date.now();
      await stack.startData();
      await stack.runMigrate();
      for (const name of servers) stack.startApp('server', name);
      for (const name of workers) stack.startApp('worker', name);
      stack.startHaproxy(servers);
      await stack.untilServing(opts.servers, 180_000);
      opts.log(
        `up and healthy in network namespaces on ${net.prefix}.0/24 (${opts.servers} servers, ${opts.workers} workers) in ${((Date.now() - t) / 1000).toFixed(0)} s`,
      );
      return stack;
    } catch (err) {
      await stack.stop();
      throw err;
    }
  }

  private get databaseUrl(): string {
    return `postgres://postgres:${encodeURIComponent(this.secrets.postgres)}@postgres:5432/taskflow`;
  }

  /** PostgreSQL and Redis, each in its namespace, listening on its own address only. */
  private async startData(): Promise<void> {
    const pgHost = this.net.host('postgres');
    this.postgres = await startPostgres({
      dataDir: path.join(this.dir, 'postgres'),
      port: 5432,
      password: this.secrets.postgres,
      logFile: path.join(this.dir, 'postgres.log'),
      fast: true,
      listenHost: pgHost.address,
      netns: pgHost.ns,
      allowNetwork: `${this.net.prefix}.0/24`,
    });
    await ensureDatabase(this.postgres.adminUrl, 'taskflow');
    const redisHost = this.net.host('redis');
    this.redis = await startRedis({
      dataDir: path.join(this.dir, 'redis'),
      port: 6379,
      logFile: path.join(this.dir, 'redis.log'),
      fast: true,
      password: this.secrets.redis,
      listenHost: redisHost.address,
      netns: redisHost.ns,
    });
  }

  /** apps/server's migrate entry, once, from its own host, as compose's `migrate` job (demo users seeded). */
  private async runMigrate(): Promise<void> {
    const env = { ...baseEnv(), DATABASE_URL: this.databaseUrl, NODE_ID: 'migrate', SEED_DEMO: 'true', DEMO_PASSWORD, LOG_LEVEL: 'warn' };
    const [command, args] = this.net.exec('migrate', process.execPath, nodeTsArgs('apps/server/src/migrate.ts'));
    // Redis may still be starting: the job needs only PostgreSQL.
    const r = await runTestProcess(command, args, { name: 'migrate', deadlineMs: 5 * 60_000, cwd: REPO_ROOT, env });
    this.migrate = { exitCode: r.code ?? 1, host: this.net.host('migrate'), env };
    if (r.code !== 0) throw new Error(`the migrate job exited ${r.code}:\n${r.output.slice(-4000)}`);
  }

  /** A server or worker with compose's environment: every other component by name, never by loopback. */
  private startApp(service: 'server' | 'worker', name: string): void {
    const common = {
      ...baseEnv(),
      ...FAST_TIMINGS,
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: `redis://:${this.secrets.redis}@redis:6379`,
      LOG_LEVEL: 'warn',
      NODE_ID: name,
    };
    const env: NodeJS.ProcessEnv =
      service === 'server'
        ? {
            ...common,
            PORT: String(APP_PORT),
            HOST: '0.0.0.0',
            JWT_SECRET: this.secrets.jwt,
            GITHUB_WEBHOOK_SECRET: this.secrets.webhook,
            WEBSOCKET_CORS_ORIGIN: this.url,
            DRAIN_DELAY_MS: '2500',
            TRUSTED_PROXIES: 'uniquelocal',
            METRICS_PORT: '9464',
            METRICS_HOST: '0.0.0.0',
            MIGRATE_ON_START: 'false',
            SEED_DEMO: 'false',
          }
        : { ...common, APP_URL: this.url };
    const entry = service === 'server' ? 'apps/server/src/main.ts' : 'apps/worker/src/main.ts';
    const component = new Component(service, this.net.host(name), env, this.net.exec(name, process.execPath, nodeTsArgs(entry)));
    this.components.push(component);
    component.start();
  }

  /** The deployment's HAProxy config, with the replicas by name in place of the DNS server-template. */
  private startHaproxy(servers: string[]): void {
    const deployed = fs.readFileSync(path.join(REPO_ROOT, 'infra/haproxy/haproxy.cfg'), 'utf8');
    const withoutResolvers = deployed.replace(/\nresolvers docker\n(?:[ \t]+.*\n|[ \t]*#.*\n)*/, '\n');
    const template = /^\s*server-template .*$/m;
    const config = withoutResolvers.replace(template, servers.map((s) => `  server ${s} ${s}:${APP_PORT} check`).join('\n'));
    if (!template.test(withoutResolvers) || config.includes('resolvers docker'))
      throw new Error('infra/haproxy/haproxy.cfg changed shape: update NamespaceStack.startHaproxy');
    const file = path.join(this.dir, 'haproxy.cfg');
    fs.writeFileSync(file, config);
    const haproxy = new Component('haproxy', this.net.host('haproxy'), baseEnv(), this.net.exec('haproxy', 'haproxy', ['-db', '-f', file]));
    this.components.push(haproxy);
    haproxy.start();
  }

  private component(host: HostView): Component {
    const c = this.components.find((x) => x.host.name === host.name);
    if (!c) throw new Error(`no component ${host.name}`);
    return c;
  }

  async hosts(service?: string): Promise<HostView[]> {
    const views: HostView[] = [];
    for (const [name, handle] of [
      ['postgres', this.postgres],
      ['redis', this.redis],
    ] as const) {
      if (!handle || (service && service !== name)) continue;
      const running = isAlive(handle.pid);
      views.push({ ...emptyView(this.net.host(name), name), status: running ? 'running' : 'exited', pid: running ? handle.pid : 0 });
    }
    if (this.migrate && (!service || service === 'migrate'))
      views.push({
        ...emptyView(this.migrate.host, 'migrate'),
        status: 'exited',
        exitCode: this.migrate.exitCode,
        env: envLines(this.migrate.env),
      });
    for (const c of this.components) {
      if (service && c.service !== service) continue;
      views.push(c.view(c.service === 'server' && c.status === 'running' ? await readiness(c.host) : undefined));
    }
    return views.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  }

  async crash(host: HostView): Promise<void> {
    process.kill(this.component(host).proc!.pid, 'SIGKILL');
  }

  async pause(host: HostView, ms: number): Promise<void> {
    const c = this.component(host);
    c.signalGroup('SIGSTOP');
    c.status = 'paused';
    await sleep(ms);
    c.signalGroup('SIGCONT');
    c.status = 'running';
  }

  async partition(host: HostView, ms: number): Promise<void> {
    this.net.setLink(host.name, 'down');
    await sleep(ms);
    this.net.setLink(host.name, 'up');
  }

  async scaleServersTo(servers: number): Promise<void> {
    const running = this.components.filter((c) => c.service === 'server' && c.status !== 'exited');
    // As compose scales in: the highest-numbered replicas go.
    await Promise.all(running.slice(servers).map((c) => c.stop()));
    this.components.splice(
      0,
      this.components.length,
      ...this.components.filter((c) => c.service !== 'server' || running.slice(0, servers).includes(c)),
    );
  }

  untilServing(servers: number, timeoutMs: number): Promise<void> {
    return untilServing(this, servers, timeoutMs);
  }

  async uidOf(host: HostView): Promise<number> {
    const status = fs.readFileSync(`/proc/${this.component(host).proc!.pid}/status`, 'utf8');
    return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
  }

  db(): pg.Pool {
    if (!this.pool) throw new Error('call connectDb() first');
    return this.pool;
  }

  /** PostgreSQL at its own address, through the bridge (the test's view of the committed state). */
  async connectDb(): Promise<pg.Pool> {
    this.pool = new pg.Pool({ connectionString: this.postgres!.url('taskflow'), max: 4 });
    this.pool.on('error', () => undefined);
    return this.pool;
  }

  async logs(lines = 40): Promise<string> {
    return this.components.map((c) => `--- ${c.host.name}\n${(c.proc?.output() ?? '').split('\n').slice(-lines).join('\n')}`).join('\n');
  }

  async stop(): Promise<void> {
    await this.pool?.end().catch(() => undefined);
    // Apps first (they drain), then what they use.
    const order = ['haproxy', 'server', 'worker'];
    for (const service of order)
      await Promise.all(this.components.filter((c) => c.service === service).map((c) => c.stop().catch(() => undefined)));
    await this.redis?.stop().catch(() => undefined);
    await this.postgres?.stop().catch(() => undefined);
    this.net.remove();
    fs.rmSync(this.dir, { recursive: true, force: true });
    if (this.postgres) fs.rmSync(this.postgres.dataDir, { recursive: true, force: true });
  }
}

function emptyView(h: Host, service: string): HostView {
  return {
    id: h.name,
    service,
    name: h.name,
    status: 'running',
    exitCode: 0,
    restarts: 0,
    pid: 0,
    hostname: h.name,
    address: h.address,
    env: [],
  };
}

const envLines = (env: NodeJS.ProcessEnv) => Object.entries(env).map(([k, v]) => `${k}=${v}`);

/** The container HEALTHCHECK's question (infra/docker/healthcheck.mjs), asked across the bridge. */
async function readiness(h: Host): Promise<string> {
  const res = await fetch(`http://${h.address}:${APP_PORT}/api/ready`, { signal: AbortSignal.timeout(3000) }).catch(() => undefined);
  return res?.status === 200 ? 'healthy' : 'unhealthy';
}
