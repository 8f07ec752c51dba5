import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '@taskflow/devstack';
import { runTestProcess, startDockerEngine, type DockerEngine } from '@taskflow/testing';
import { DEMO_PASSWORD, FAST_TIMINGS } from './cluster';
import { sleep } from './proc';
import { untilServing, type HostView, type SeparateHosts } from './separate-hosts';

const REPO_ROOT = path.resolve(__dirname, '../../../..');
/** docker-compose.yml as users run it, on the base built from Debian's mirror, plus the test's loopback port to PostgreSQL. */
const COMPOSE_FILES = ['docker-compose.yml', 'infra/docker/compose.local-base.yml', 'apps/cluster-e2e/src/harness/compose.e2e.yml'];
const BASE_IMAGE = 'taskflow-local/bookworm:e2e';
/** docker-compose 1.x wants a regular file (not /dev/null). */
const EMPTY_ENV_FILE = path.join(os.tmpdir(), 'taskflow-compose-e2e.env');

export interface ContainerView {
  id: string;
  /** The compose service: server, worker, migrate, haproxy, postgres, redis. */
  service: string;
  name: string;
  status: string;
  health?: string;
  exitCode: number;
  restarts: number;
  /** The container's first process as the host sees it (0 when not running). */
  pid: number;
  startedAt: string;
  /** Docker's hostname for it: the server's NODE_ID (infra/docker/entrypoint.sh). */
  hostname: string;
  user: string;
  env: string[];
  /** Its address on each network it is attached to. */
  networks: Record<string, string>;
}

interface Inspected {
  Id: string;
  Name: string;
  RestartCount: number;
  State: { Status: string; ExitCode: number; Pid: number; StartedAt: string; Health?: { Status: string } };
  Config: { Hostname: string; User: string; Env: string[]; Labels: Record<string, string> };
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
}

/**
 * docker-compose.yml run for real: an engine of the test's own, the images built from this clone
 * (on a base built from Debian's mirror: no image registry is reachable here), then
 * `docker-compose up` with the replicas asked for. Secrets and tunables come from the
 * environment, as an operator's would; nothing reads a developer's `.env`.
 */
export class ComposeStack implements SeparateHosts {
  readonly kind = 'containers';
  readonly url: string;
  private pool?: pg.Pool;

  private constructor(
    private readonly engine: DockerEngine,
    private readonly env: NodeJS.ProcessEnv,
    readonly project: string,
    readonly webhookSecret: string,
    readonly publicPort: number,
  ) {
    this.url = `http://127.0.0.1:${publicPort}`;
  }

  /**
   * `TASKFLOW_E2E_DOCKER_HOST` (for working on the test): use that running engine instead of a new one, keeping its
   * images and build cache, so a second run builds only what changed. It is never stopped.
   */
  static async start(opts: { servers: number; workers: number; log: (line: string) => void }): Promise<ComposeStack> {
    fs.writeFileSync(EMPTY_ENV_FILE, '');
    const reuse = process.env.TASKFLOW_E2E_DOCKER_HOST;
    const engine: DockerEngine = reuse
      ? { host: reuse, env: () => ({ ...process.env, DOCKER_HOST: reuse }), stop: async () => undefined }
      : await startDockerEngine({ deadlineMs: 90 * 60_000 });
    try {
      const publicPort = await freePort();
      const secret = () => randomBytes(24).toString('base64url');
      const webhookSecret = secret();
      const env: NodeJS.ProcessEnv = {
        ...engine.env(),
        // The fault suites' short timings (compose passes on the ones it knows), but the drain: HAProxy here learns that
        // a replica drains from its checks (inter 1 s, fall 2), so compose's own default stays.
        ...FAST_TIMINGS,
        DRAIN_DELAY_MS: '2500',
        POSTGRES_PASSWORD: secret(),
        REDIS_PASSWORD: secret(),
        JWT_SECRET: secret(),
        GITHUB_WEBHOOK_SECRET: webhookSecret,
        SEED_DEMO: 'true',
        DEMO_PASSWORD,
        PUBLIC_PORT: String(publicPort),
        PUBLIC_URL: `http://127.0.0.1:${publicPort}`,
        LOCAL_BASE_IMAGE: BASE_IMAGE,
        TAG: 'e2e',
        LOG_LEVEL: 'warn',
      };
      const stack = new ComposeStack(engine, env, `tfe2e${process.pid}`, webhookSecret, publicPort);
      let t = Date.now();
      if (!(await stack.docker(['images', '-q', BASE_IMAGE])).trim()) {
        await stack.run('sh', [path.join(REPO_ROOT, 'infra/docker/local-base/build.sh'), BASE_IMAGE], 20 * 60_000);
        opts.log(`base image built from Debian's mirror in ${((Date.now() - t) / 1000).toFixed(0)} s`);
      }
      t = Date.now();
      await stack.compose(['build', 'server'], 30 * 60_000);
      opts.log(`app image built in ${((Date.now() - t) / 1000).toFixed(0)} s`);
      t = Date.now();
      await stack.compose(['up', '-d', '--scale', `server=${opts.servers}`, '--scale', `worker=${opts.workers}`], 10 * 60_000);
      await stack.untilServing(opts.servers, 180_000);
      opts.log(`up and healthy (${opts.servers} servers, ${opts.workers} workers) in ${((Date.now() - t) / 1000).toFixed(0)} s`);
      return stack;
    } catch (err) {
      await engine.stop();
      throw err;
    }
  }

  /** Runs a command against this engine; rejects with its output when it fails. */
  async run(command: string, args: string[], timeoutMs: number): Promise<string> {
    const r = await runTestProcess(command, args, { name: `${command} ${args[0]}`, deadlineMs: timeoutMs, cwd: REPO_ROOT, env: this.env });
    if (r.code !== 0)
      throw new Error(`${command} ${args.join(' ')} exited ${r.code}${r.timedOut ? ' (deadline)' : ''}:\n${r.output.slice(-4000)}`);
    return r.stdout;
  }

  compose(args: string[], timeoutMs = 120_000): Promise<string> {
    // --env-file: an empty file, so that a developer's .env in the clone never reaches the test's stack.
    const files = COMPOSE_FILES.flatMap((f) => ['-f', f]);
    return this.run('docker-compose', ['--env-file', EMPTY_ENV_FILE, '-p', this.project, ...files, ...args], timeoutMs);
  }

  docker(args: string[], timeoutMs = 60_000): Promise<string> {
    return this.run('docker', args, timeoutMs);
  }

  /** The project's containers (all of them, stopped ones too), oldest first. */
  async containers(service?: string): Promise<ContainerView[]> {
    const ids = (await this.docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${this.project}`]))
      .split('\n')
      .filter(Boolean);
    if (ids.length === 0) return [];
    const inspected = JSON.parse(await this.docker(['inspect', ...ids])) as Inspected[];
    return inspected
      .map((c) => ({
        id: c.Id.slice(0, 12),
        service: c.Config.Labels['com.docker.compose.service'] ?? '',
        name: c.Name.replace(/^\//, ''),
        status: c.State.Status,
        health: c.State.Health?.Status,
        exitCode: c.State.ExitCode,
        restarts: c.RestartCount,
        pid: c.State.Pid,
        startedAt: c.State.StartedAt,
        hostname: c.Config.Hostname,
        user: c.Config.User,
        env: c.Config.Env,
        networks: Object.fromEntries(Object.entries(c.NetworkSettings.Networks).map(([n, v]) => [n, v.IPAddress])),
      }))
      .filter((c) => !service || c.service === service)
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  }

  /** Every server replica healthy (its HEALTHCHECK), and HAProxy answering /api/ready. */
  untilServing(servers: number, timeoutMs: number): Promise<void> {
    return untilServing(this, servers, timeoutMs);
  }

  async hosts(service?: string): Promise<HostView[]> {
    return (await this.containers(service)).map((c) => ({ ...c, address: c.networks[this.network] ?? '' }));
  }

  // SIGKILL from outside, as the OOM killer would. (`docker kill` is a stop by the user: Docker's restart policy then
  // leaves the container stopped, by design.)
  async crash(host: HostView): Promise<void> {
    process.kill(host.pid, 'SIGKILL');
  }

  async pause(host: HostView, ms: number): Promise<void> {
    await this.docker(['pause', host.id]);
    await sleep(ms);
    await this.docker(['unpause', host.id]);
  }

  async partition(host: HostView, ms: number): Promise<void> {
    const aliases = JSON.parse(
      await this.docker(['inspect', '--format', `{{json (index .NetworkSettings.Networks "${this.network}").Aliases}}`, host.id]),
    ) as string[];
    await this.docker(['network', 'disconnect', this.network, host.id]);
    await sleep(ms);
    // Back under the same names: the service's name is how HAProxy's DNS finds it.
    await this.docker(['network', 'connect', ...aliases.flatMap((a) => ['--alias', a]), this.network, host.id]);
  }

  async scaleServersTo(servers: number): Promise<void> {
    const workers = (await this.containers('worker')).filter((c) => c.status === 'running').length;
    await this.compose(['up', '-d', '--no-recreate', '--scale', `server=${servers}`, '--scale', `worker=${workers}`], 180_000);
  }

  async uidOf(host: HostView): Promise<number> {
    return Number((await this.docker(['exec', host.id, 'id', '-u'])).trim());
  }

  /** The compose network every service is on. */
  get network(): string {
    return `${this.project}_default`;
  }

  db(): pg.Pool {
    if (!this.pool) throw new Error('call connectDb() first');
    return this.pool;
  }

  /** PostgreSQL through the port compose.e2e.yml publishes on loopback (the test's view of the committed state). */
  async connectDb(): Promise<pg.Pool> {
    const published = (await this.compose(['port', 'postgres', '5432'])).trim();
    const port = Number(published.split(':').at(-1));
    this.pool = new pg.Pool({
      connectionString: `postgres://taskflow:${encodeURIComponent(this.env.POSTGRES_PASSWORD!)}@127.0.0.1:${port}/taskflow`,
      max: 4,
    });
    this.pool.on('error', () => undefined);
    return this.pool;
  }

  /** Each service's last log lines, for a failure's message. */
  async logs(lines = 40): Promise<string> {
    return this.compose(['logs', '--no-color', '--tail', String(lines)], 60_000).catch((err: Error) => err.message);
  }

  /** `docker-compose down` (volumes too), then the engine and everything it stored. */
  async stop(): Promise<void> {
    await this.pool?.end().catch(() => undefined);
    await this.compose(['down', '-v', '--timeout', '5'], 120_000).catch(() => undefined);
    await this.engine.stop();
  }
}
