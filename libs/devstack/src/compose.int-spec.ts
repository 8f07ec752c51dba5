import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { parse } from 'yaml';
import {
  createTestDatabase,
  eventually,
  freePort,
  runTestProcess,
  spawnApp,
  spawnTestProcess,
  testEnv,
  type AppProcess,
  type TestDatabase,
} from '@taskflow/testing';
import { REPO_ROOT } from './config';
import { ENTRIES } from './stack';

/**
 * The container topology (docker-compose.yml, infra/docker/, infra/haproxy/haproxy.cfg,
 * .env.example) checked without a Docker engine: `docker-compose config` validates it,
 * every command, path and variable it names exists in the code, and the entry points the
 * image runs start for real with the environment compose gives them.
 */
const read = (rel: string) => fs.readFileSync(path.join(REPO_ROOT, rel), 'utf8');
interface Service {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { disable?: boolean; test?: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
}
type ComposeFile = { services: Record<string, Service> };
const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
const service = (name: string, file: ComposeFile = compose): Service => {
  const found = file.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
/** The file a `node <file>` command runs. */
const scriptOf = (command: string[] | undefined): string => {
  if (command?.[0] !== 'node' || !command[1]) throw new Error(`not a \`node <file>\` command: ${JSON.stringify(command)}`);
  return command[1];
};
const dockerfile = read('infra/docker/Dockerfile');
/** Instructions of the Dockerfile with their arguments (continuation lines are not used in it). */
const instructions = dockerfile
  .split('\n')
  .filter((l) => /^[A-Z]+ /.test(l))
  .map((l) => ({ op: l.slice(0, l.indexOf(' ')), args: l.slice(l.indexOf(' ') + 1) }));
const execForm = (op: string) => {
  const found = instructions.filter((i) => i.op === op).at(-1);
  if (!found) throw new Error(`the Dockerfile has no ${op}`);
  return JSON.parse(found.args.replace(/^.*?CMD /, '')) as string[];
};
/** A path inside the image (/app/…) as a path in this checkout. */
const inRepo = (imagePath: string | undefined): string => {
  if (!imagePath?.startsWith('/app/')) throw new Error(`expected a path under /app/, got ${imagePath}`);
  return path.join(REPO_ROOT, imagePath.slice('/app/'.length));
};
const ENTRYPOINT = inRepo(execForm('ENTRYPOINT')[0]);
const HEALTHCHECK = execForm('HEALTHCHECK');

/** The services built from our image, with the app each one runs. */
const appServices = Object.entries(compose.services).filter(([, s]) => s.build);

/** `apps/x/dist/a.js` → `apps/x/src/a.ts`, from that project's build config (rootDir → outDir). */
function sourceOf(distFile: string): string {
  const project = distFile.split('/').slice(0, 2).join('/');
  const build = JSON.parse(read(`${project}/tsconfig.build.json`)) as {
    compilerOptions: { outDir: string; rootDir: string };
    exclude?: string[];
  };
  const outDir = `${project}/${build.compilerOptions.outDir}/`;
  expect(distFile.startsWith(outDir)).toBe(true);
  const source = `${project}/${build.compilerOptions.rootDir}/${distFile.slice(outDir.length).replace(/\.js$/, '.ts')}`;
  // Excluded from the build (tests, testing helpers) would mean no dist file in the image.
  expect(source).not.toMatch(/\.(int-)?spec\.ts$|\/testing\//);
  return source;
}

interface SchemaInfo {
  keys: string[];
  /** Keys without a default that must be set. */
  required: string[];
  defaults: Record<string, string>;
}
/** The env schema each entry point parses, read from the app's own config.ts. */
const SCHEMA_OF: Record<string, { file: string; name: string }> = {
  'apps/server/src/main.ts': { file: 'apps/server/src/config.ts', name: 'ServerEnvSchema' },
  'apps/server/src/migrate.ts': { file: 'apps/server/src/config.ts', name: 'MigrateEnvSchema' },
  'apps/worker/src/main.ts': { file: 'apps/worker/src/config.ts', name: 'WorkerEnvSchema' },
};
function loadSchemas(): Record<string, SchemaInfo> {
  // Apps are not importable from a library; ask a process that runs their config as they do.
  const script = `const out = {};
for (const [entry, { file, name }] of Object.entries(${JSON.stringify(SCHEMA_OF)})) {
  const s = require(require('node:path').join(${JSON.stringify(REPO_ROOT)}, file))[name];
  const keys = Object.keys(s.properties);
  const defaults = Object.fromEntries(keys.filter((k) => 'default' in s.properties[k]).map((k) => [k, String(s.properties[k].default)]));
  out[entry] = { keys, defaults, required: keys.filter((k) => (s.required ?? []).includes(k) && !('default' in s.properties[k])) };
}
process.stdout.write(JSON.stringify(out));`;
  const out = execFileSync(process.execPath, ['--conditions=taskflow-source', '--import', 'tsx', '-e', script], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(out) as Record<string, SchemaInfo>;
}

/** Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}` against the given variables. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_m, name: string, kind?: string, arg?: string) => {
    const v = vars[name];
    if (v) return v;
    if (kind === '?') throw new Error(`${name}: ${arg}`);
    return kind === '-' ? (arg ?? '') : '';
  });
}
const composeVariables = [...read('docker-compose.yml').matchAll(/\$\{(\w+)/g)].map((m) => m[1]);

const SECRETS = {
  JWT_SECRET: randomBytes(24).toString('base64'),
  GITHUB_WEBHOOK_SECRET: 'webhook-secret-for-compose-test',
  POSTGRES_PASSWORD: 'dummy-password',
  REDIS_PASSWORD: `redis-${randomBytes(12).toString('hex')}`,
};

let schemas: Record<string, SchemaInfo>;
/** The source entry point a service of our image runs. */
const entryOf = (name: string) => sourceOf(scriptOf(service(name).command ?? execForm('CMD')));
const schemaOf = (svc: Service): SchemaInfo => {
  const entry = sourceOf(scriptOf(svc.command ?? execForm('CMD')));
  const schema = schemas[entry];
  if (!schema) throw new Error(`no env schema known for ${entry}`);
  return schema;
};
beforeAll(() => {
  schemas = loadSchemas();
});

describe('the image and the compose file name only things that exist', () => {
  it('collects every workspace manifest before npm ci, and copies only paths that exist', () => {
    const copies = instructions.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'));
    const sources = copies.flatMap((c) => c.args.split(' ').slice(0, -1));
    for (const src of sources) if (src !== '.') expect([src, fs.existsSync(path.join(REPO_ROOT, src))]).toEqual([src, true]);
    // Run the manifests stage's own command on this checkout, into a scratch directory.
    const collect = instructions.find((i) => i.op === 'RUN' && i.args.includes('/manifests'))?.args ?? '';
    expect(collect).toMatch(/^node infra\/docker\/collect-manifests\.mjs \/manifests$/);
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'manifests-'));
    const target = path.join(scratch, 'manifests');
    execFileSync('sh', ['-c', collect.replaceAll('/manifests', target)], { cwd: REPO_ROOT });
    // npm's own list of workspaces: npm ci in the image needs every one's manifest.
    const workspaces = (
      JSON.parse(execFileSync('npm', ['query', '.workspace'], { cwd: REPO_ROOT, encoding: 'utf8' })) as Array<{ location: string }>
    ).map((w) => `${w.location}/package.json`);
    expect(workspaces.length).toBeGreaterThan(5);
    for (const manifest of workspaces) expect([manifest, fs.existsSync(path.join(target, manifest))]).toEqual([manifest, true]);
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('runs as a non-root user, with a HEALTHCHECK and an entrypoint that exist', () => {
    const users = instructions.filter((i) => i.op === 'USER').map((i) => i.args);
    expect(users.at(-1)).toBe('node');
    expect(fs.statSync(ENTRYPOINT).mode & 0o111).not.toBe(0);
    expect(HEALTHCHECK[0]).toBe('node');
    expect(fs.existsSync(inRepo(HEALTHCHECK[1]))).toBe(true);
    expect(execForm('CMD')).toEqual(['node', 'apps/server/dist/main.js']);
  });

  it('keeps secrets, host dependencies, builds and test output out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['.data/', '**/node_modules/', '.git/', '**/dist/', '**/coverage/', '.env']) expect(ignored).toContain(entry);
  });

  it('runs in containers the dist builds of the entry points npm run cluster runs from source', () => {
    expect(appServices.map(([name]) => name).sort()).toEqual(['migrate', 'server', 'worker']);
    const entry = (name: string) => sourceOf(scriptOf(service(name).command ?? execForm('CMD')));
    expect(entry('server')).toBe(ENTRIES.node);
    expect(entry('worker')).toBe(ENTRIES.worker);
    expect(entry('migrate')).toBe('apps/server/src/migrate.ts');
    for (const [name] of appServices) expect(fs.existsSync(path.join(REPO_ROOT, entry(name)))).toBe(true);
  });

  it('gives each app only variables its config reads, and every one it requires', () => {
    for (const [name, svc] of appServices) {
      const schema = schemaOf(svc);
      const env = Object.keys(svc.environment ?? {});
      expect({ name, unknown: env.filter((k) => !schema.keys.includes(k)) }).toEqual({ name, unknown: [] });
      // NODE_ID comes from the entrypoint (the container's hostname) when compose does not set it.
      expect({ name, missing: schema.required.filter((k) => !env.includes(k)) }).toEqual({ name, missing: [] });
    }
  });

  it('migrates once before the apps, with demo users off unless asked, and Redis that loses no job', () => {
    for (const name of ['server', 'worker'])
      expect(service(name).depends_on?.migrate).toEqual({ condition: 'service_completed_successfully' });
    expect(service('server').environment?.MIGRATE_ON_START).toBe('false');
    expect(service('server').environment?.SEED_DEMO).toBe('false');
    expect(interpolate(service('migrate').environment?.SEED_DEMO ?? '', {})).toBe('false');
    const redis = (service('redis').command ?? []).join(' ');
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--appendfsync everysec');
    expect(redis).toContain('--maxmemory-policy noeviction');
    // Secrets have no fallback: compose refuses to start without them.
    for (const secret of Object.keys(SECRETS))
      expect(() => interpolate(read('docker-compose.yml'), { ...SECRETS, [secret]: '' })).toThrow(secret);
  });

  it('lists in .env.example every variable the apps and the compose file read', () => {
    const example = read('.env.example');
    const listed = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const mentioned = (k: string) => listed.has(k) || new RegExp(`^# .*\\b${k}\\b`, 'm').test(example);
    for (const v of composeVariables) expect([v, listed.has(v)]).toEqual([v, true]);
    // Setting a variable in .env that compose does not pass on would silently do nothing.
    for (const v of listed) expect([v, composeVariables.includes(v)]).toEqual([v, true]);
    for (const key of new Set(Object.values(schemas).flatMap((s) => s.keys))) expect([key, mentioned(key)]).toEqual([key, true]);
  });

  it('shows in .env.example the default each variable really has', () => {
    // What a variable left unset becomes: compose's own fallback, else the default of each app it is passed to.
    const effective = new Map<string, Set<string>>();
    for (const svc of Object.values(compose.services)) {
      const schema = svc.build ? schemaOf(svc) : undefined;
      for (const [key, value] of Object.entries(svc.environment ?? {})) {
        const m = /^\$\{(\w+)(?::-([^}]*))?\}$/.exec(String(value));
        if (!m?.[1]) continue;
        const fallback = m[2] || (schema?.defaults[key] ?? '');
        effective.set(m[1], (effective.get(m[1]) ?? new Set<string>()).add(fallback));
      }
    }
    // Fallbacks outside service environments (ports, image tag).
    for (const [, name = '', fallback = ''] of read('docker-compose.yml').matchAll(/\$\{(\w+):-([^}]+)\}/g)) {
      if (!effective.has(name)) effective.set(name, new Set([fallback]));
    }
    const example = read('.env.example');
    const shown = [...example.matchAll(/^# ([A-Z][A-Z0-9_]+)=(.*)$/gm)];
    expect(shown.length).toBeGreaterThan(30);
    for (const [, name = '', value] of shown) expect([name, [...(effective.get(name) ?? [])]]).toEqual([name, [value]]);
  });

  it('finds server replicas through Docker DNS with a sticky cookie per replica, and the config is valid', () => {
    const cfg = read('infra/haproxy/haproxy.cfg');
    expect(cfg).toMatch(/^resolvers docker\n {2}nameserver \S+ 127\.0\.0\.11:53$/m);
    expect(cfg).toMatch(/^ {2}server-template \S+ 1-16 server:3000 check resolvers docker( \S+)* init-addr none$/m);
    expect(cfg).toMatch(/^ {2}cookie tfnode insert indirect nocache .*dynamic$/m);
    expect(cfg).toMatch(/^ {2}dynamic-cookie-key \S+$/m);
    expect(service('haproxy').volumes).toContain('./infra/haproxy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro');
    // The server service name is what the template resolves.
    expect(service('server').build).toBeDefined();
    const check = spawnSync('haproxy', ['-c', '-f', path.join(REPO_ROOT, 'infra/haproxy/haproxy.cfg')], { encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toContain('Configuration file is valid');
  });
});

describe('docker-compose config', () => {
  const available = ensureDockerCompose();
  const run = (envFile: string) =>
    spawnSync(
      'docker-compose',
      ['--project-directory', REPO_ROOT, '-f', path.join(REPO_ROOT, 'docker-compose.yml'), '--env-file', envFile, 'config'],
      {
        encoding: 'utf8',
        // Only the env file may provide variables: none leak in from the machine running the test.
        env: { PATH: process.env.PATH, HOME: os.tmpdir() },
      },
    );
  const envFile = (vars: Record<string, string>) => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'compose-')), '.env');
    fs.writeFileSync(
      file,
      Object.entries(vars)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    return file;
  };

  (available ? it : it.skip)('validates with the secrets set, and resolves them into the services', () => {
    const res = run(envFile(SECRETS));
    expect(res.stderr).not.toMatch(/error/i);
    expect(res.status).toBe(0);
    const resolved = parse(res.stdout) as typeof compose;
    expect(service('server', resolved).environment?.JWT_SECRET).toBe(SECRETS.JWT_SECRET);
    expect(service('server', resolved).environment?.DATABASE_URL).toBe(
      `postgres://taskflow:${SECRETS.POSTGRES_PASSWORD}@postgres:5432/taskflow`,
    );
    expect(service('migrate', resolved).environment?.SEED_DEMO).toBe('false');
    for (const name of ['server', 'worker'])
      expect(service(name, resolved).environment?.REDIS_URL).toBe(`redis://:${SECRETS.REDIS_PASSWORD}@redis:6379`);
    expect(service('redis', resolved).command).toEqual(expect.arrayContaining(['--requirepass', SECRETS.REDIS_PASSWORD]));
  });

  (available ? it : it.skip)('refuses to run when a secret is missing, saying which', () => {
    for (const secret of Object.keys(SECRETS)) {
      const res = run(envFile({ ...SECRETS, [secret]: '' }));
      expect(res.status).not.toBe(0);
      expect(res.stderr).toContain(`set ${secret} in .env`);
    }
    // .env.example as shipped (secrets blank) is refused too.
    const shipped = run(path.join(REPO_ROOT, '.env.example'));
    expect(shipped.status).not.toBe(0);
  });
});

describe("the redis service as compose runs it (the image's redis-server is Debian's here)", () => {
  let dir: string;
  let port: number;
  let redis: ReturnType<typeof spawnTestProcess> | undefined;
  const resolvedCommand = () => (service('redis').command ?? []).map((arg) => interpolate(String(arg), SECRETS));
  const resolvedEnv = () =>
    Object.fromEntries(Object.entries(service('redis').environment ?? {}).map(([k, v]) => [k, interpolate(String(v), SECRETS)]));
  /** The healthcheck's shell command, against this test's port. */
  const healthcheck = (env: Record<string, string>) => {
    const test = service('redis').healthcheck?.test ?? [];
    expect(test[0]).toBe('CMD-SHELL');
    return spawnSync('sh', ['-c', String(test[1]).replace(/\bredis-cli\b/, `redis-cli -p ${port}`)], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
    }).status;
  };
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-redis-'));
    port = await freePort();
    const [bin, ...args] = resolvedCommand();
    expect(bin).toBe('redis-server');
    // Its arguments as compose gives them; then where it listens and keeps data here (later arguments win).
    redis = spawnTestProcess('redis-server', [...args, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'no'], {
      name: 'compose redis',
      deadlineMs: 120_000,
      env: { PATH: process.env.PATH, ...resolvedEnv() },
      stdio: 'ignore',
    });
    await eventually('redis-server to listen', async () => (healthcheck(resolvedEnv()) === 0 ? true : undefined), 15_000);
  });
  afterAll(async () => {
    redis?.proc.kill('SIGTERM');
    await redis?.exited;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a client without the password (NOAUTH), and serves the URL the apps are given', async () => {
    const at = (url: string) => url.replace('@redis:6379', `@127.0.0.1:${port}`);
    const anonymous = new Redis({ port, host: '127.0.0.1', lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0 });
    anonymous.on('error', () => undefined);
    const app = new Redis(at(interpolate(String(service('server').environment?.REDIS_URL), SECRETS)), { lazyConnect: true });
    try {
      await anonymous.connect();
      await expect(anonymous.set('k', 'v')).rejects.toThrow(/NOAUTH/);
      await app.connect();
      expect(await app.ping()).toBe('PONG');
      // The worker gets the same URL.
      expect(service('worker').environment?.REDIS_URL).toBe(service('server').environment?.REDIS_URL);
    } finally {
      anonymous.disconnect();
      app.disconnect();
    }
  });

  it('is healthy only to a redis-cli that sends the password', () => {
    expect(healthcheck(resolvedEnv())).toBe(0);
    expect(healthcheck({})).not.toBe(0);
  });
});

describe('the entry points the containers run, with the environment compose gives them', () => {
  let db: TestDatabase;
  const procs: AppProcess[] = [];
  const prefix = `c${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    db = await createTestDatabase('compose');
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await db.drop();
  });

  /** A service's environment as compose resolves it, pointed at this test's PostgreSQL, Redis and port. */
  function serviceEnv(name: string, overrides: Record<string, string>): NodeJS.ProcessEnv {
    const env = Object.fromEntries(Object.entries(service(name).environment ?? {}).map(([k, v]) => [k, interpolate(String(v), SECRETS)]));
    for (const key of Object.keys(overrides)) if (key !== 'NODE_ID') expect([name, key, key in env]).toEqual([name, key, true]);
    return { ...env, ...overrides };
  }
  const rowCount = async (query: string) => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query(query)).rowCount;
    } finally {
      await c.end();
    }
  };

  it('migrate applies the schema, seeds nobody by default, and is safe to run again', async () => {
    const env = serviceEnv('migrate', { DATABASE_URL: db.url });
    const first = spawnApp(entryOf('migrate'), env);
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('applied migrations');
    expect(await rowCount("select 1 from information_schema.tables where table_name = 'tasks'")).toBe(1);
    expect(await rowCount('select 1 from users')).toBe(0);
    const again = spawnApp(entryOf('migrate'), env);
    expect(await again.exited).toBe(0);
    expect(again.output()).toContain('schema already up to date');
    const seeded = spawnApp(entryOf('migrate'), { ...env, SEED_DEMO: 'true' });
    expect(await seeded.exited).toBe(0);
    expect(await rowCount('select 1 from users')).toBeGreaterThan(0);
  }, 60_000);

  it('a server node started through the entrypoint is named after its host and passes the HEALTHCHECK; a worker starts', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const env = serviceEnv('server', {
      DATABASE_URL: db.url,
      REDIS_URL: testEnv('TEST_REDIS_URL'),
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      HOST: '127.0.0.1',
      QUEUE_PREFIX: prefix,
      DRAIN_DELAY_MS: '0',
    });
    const healthcheck = async () =>
      (
        await runTestProcess('node', [inRepo(HEALTHCHECK[1])], {
          name: 'HEALTHCHECK',
          deadlineMs: 30_000,
          env: { PATH: process.env.PATH, PORT: String(port) },
          stdio: 'ignore',
        })
      ).code;
    expect(await healthcheck()).toBe(1);

    // What Docker does: the entrypoint with the service's command (its source form, as `npm run cluster`
    // runs it), with HOSTNAME set to the container's name and no NODE_ID.
    expect(env.NODE_ID).toBeUndefined();
    const node = spawnTestProcess(
      'sh',
      [ENTRYPOINT, process.execPath, '--conditions=taskflow-source', '--import', 'tsx', path.join(REPO_ROOT, entryOf('server'))],
      {
        name: 'entrypoint server',
        deadlineMs: 120_000,
        env: { PATH: process.env.PATH, HOSTNAME: 'container-abc123', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      await eventually(
        'the node to answer /api/ready',
        async () => ((await fetch(`http://127.0.0.1:${port}/api/ready`).catch(() => undefined))?.ok ? true : undefined),
        60_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${node.output()}`);
      });
      // The node's id is on its metrics listener only (the public /api/health does not name it).
      const body = (await (await fetch(`http://127.0.0.1:${metricsPort}/health`)).json()) as { node: string };
      expect(body.node).toBe('container-abc123');
      expect(await healthcheck()).toBe(0);

      const worker = spawnApp(
        entryOf('worker'),
        serviceEnv('worker', {
          DATABASE_URL: db.url,
          REDIS_URL: testEnv('TEST_REDIS_URL'),
          QUEUE_PREFIX: prefix,
          NODE_ID: 'worker-compose-test',
        }),
      );
      procs.push(worker);
      await worker.waitForOutput('worker ready', 60_000);
    } finally {
      node.proc.kill('SIGTERM');
      expect(await node.exited).toBe(0);
    }
    expect(await healthcheck()).toBe(1);
  }, 120_000);
});

/** Debian's docker-compose (v1, no engine needed for `config`): installed when missing and running as root. */
function ensureDockerCompose(): boolean {
  const has = () => spawnSync('sh', ['-c', 'command -v docker-compose'], { stdio: 'ignore' }).status === 0;
  if (has()) return true;
  if (process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) {
    process.stdout.write(
      '[compose.int-spec] docker-compose is missing and this is not root with apt-get: skipping `docker-compose config` (run `sudo apt-get install docker-compose`)\n',
    );
    return false;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  const res = spawnSync('apt-get', ['install', '-y', '-qq', 'docker-compose'], { stdio: 'ignore', env });
  if (res.status !== 0 || !has()) throw new Error("installing Debian's docker-compose failed: run `apt-get install docker-compose`");
  return true;
}
