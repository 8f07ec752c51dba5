import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  createTestDatabase,
  eventually,
  freePort,
  spawnApp,
  spawnTestProcess,
  testEnv,
  type AppProcess,
  type TestDatabase,
} from '@taskflow/testing';
import { stopChild, type Child } from './child';
import { REPO_ROOT } from './config';

/**
 * The containers' HAProxy config (infra/haproxy/haproxy.cfg), run for real with what Docker
 * would provide swapped for local equivalents: its DNS (127.0.0.11:53) by a small DNS server
 * answering `server` with one address per replica, and the replicas by real server nodes on
 * loopback addresses (127.0.0.2, .3, .4) sharing one port, as containers share port 3000.
 * Proves `docker compose up --scale server=N` needs no edit: replicas are found, each gets its
 * own sticky cookie, new ones take traffic, removed ones stop getting it.
 */
jest.setTimeout(120_000);

/** Answers A queries for `server` with the current replica addresses; anything else with no records. */
function startDns(): Promise<{ port: number; replicas: string[]; close(): void }> {
  const socket = dgram.createSocket('udp4');
  const state = { replicas: [] as string[] };
  socket.on('message', (query, from) => {
    let offset = 12;
    const labels: string[] = [];
    while (query[offset]) {
      labels.push(query.subarray(offset + 1, offset + 1 + query[offset]!).toString());
      offset += query[offset]! + 1;
    }
    const questionEnd = offset + 5;
    const qtype = query.readUInt16BE(offset + 1);
    const addresses = qtype === 1 && labels.join('.') === 'server' ? state.replicas : [];
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8180, 2); // a response, recursion available, no error
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(addresses.length, 6);
    const answers = addresses.map((ip) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
      rr.writeUInt16BE(1, 2); // A
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(1, 6); // TTL 1 s
      rr.writeUInt16BE(4, 10);
      ip.split('.').forEach((b, i) => rr.writeUInt8(Number(b), 12 + i));
      return rr;
    });
    socket.send(Buffer.concat([header, query.subarray(12, questionEnd), ...answers]), from.port, from.address);
  });
  return new Promise((resolve) =>
    socket.bind(0, '127.0.0.1', () =>
      resolve({
        port: socket.address().port,
        get replicas() {
          return state.replicas;
        },
        set replicas(v: string[]) {
          state.replicas = v;
        },
        close: () => socket.close(),
      }),
    ),
  );
}

/**
 * The shipped config with only Docker's DNS address, the replicas' port and the public bind
 * swapped, and one header added: the address of the replica that answered (the public /api/health
 * does not name its node). It sets no maxconn: HAProxy sizes it to this machine's descriptor limit.
 */
const SERVED_BY = 'X-Test-Served-By';
/** Which replica answered, by the address HAProxy sent the request to. */
const replicaOf = (res: Response) => `replica-${res.headers.get(SERVED_BY)}`;

function localConfig(dnsPort: number, nodePort: number, publicPort: number): string {
  const cfg = fs.readFileSync(path.join(REPO_ROOT, 'infra/haproxy/haproxy.cfg'), 'utf8');
  const swaps: Array<[RegExp, string]> = [
    [/ 127\.0\.0\.11:53$/m, ` 127.0.0.1:${dnsPort}`],
    [/ server:3000 /, ` server:${nodePort} `],
    [/^ {2}bind \*:8080$/m, `  bind 127.0.0.1:${publicPort}`],
    [/^backend servers$/m, `backend servers\n  http-response set-header ${SERVED_BY} %si`],
  ];
  return swaps.reduce((text, [pattern, replacement]) => {
    expect(text).toMatch(pattern);
    return text.replace(pattern, replacement);
  }, cfg);
}

let db: TestDatabase;
let dns: Awaited<ReturnType<typeof startDns>>;
let haproxy: Child | undefined;
const nodes = new Map<string, AppProcess>();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'haproxy-dns-'));

afterAll(async () => {
  if (haproxy) await stopChild(haproxy, 'SIGUSR1', 5000);
  await Promise.all([...nodes.values()].map((n) => n.stop()));
  dns?.close();
  await db?.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

it('finds server replicas through DNS, sticks each client to one, and follows scale-out and scale-in', async () => {
  db = await createTestDatabase('hadns');
  dns = await startDns();
  const [nodePort, publicPort] = [await freePort(), await freePort()];
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: testEnv('TEST_REDIS_URL'),
    QUEUE_PREFIX: `hd${randomBytes(4).toString('hex')}`,
    JWT_SECRET: randomBytes(24).toString('hex'),
    GITHUB_WEBHOOK_SECRET: 'webhook-secret-for-dns-test',
    PORT: String(nodePort),
    LOG_LEVEL: 'warn',
  };
  const startReplica = async (ip: string) => {
    const node = spawnApp('apps/server/src/main.ts', { ...env, HOST: ip, NODE_ID: `replica-${ip}` });
    nodes.set(ip, node);
    await eventually(
      `${ip} to be ready`,
      async () => ((await fetch(`http://${ip}:${nodePort}/api/ready`).catch(() => undefined))?.ok ? true : undefined),
      60_000,
    );
  };
  await startReplica('127.0.0.2'); // migrates (MIGRATE_ON_START), then the others start on a migrated schema
  await startReplica('127.0.0.3');
  dns.replicas = ['127.0.0.2', '127.0.0.3'];

  const configFile = path.join(tmp, 'haproxy.cfg');
  fs.writeFileSync(configFile, localConfig(dns.port, nodePort, publicPort));
  const log = fs.openSync(path.join(tmp, 'haproxy.log'), 'a');
  // For afterAll's soft stop (SIGUSR1) rather than the end of this test's SIGTERM.
  const proxy = spawnTestProcess('haproxy', ['-db', '-f', configFile], {
    name: 'haproxy',
    deadlineMs: 10 * 60_000,
    scope: 'suite',
    stdio: ['ignore', log, log],
  });
  haproxy = { name: 'haproxy', process: proxy.proc, exited: proxy.exited };
  fs.closeSync(log);
  const url = `http://127.0.0.1:${publicPort}`;

  /** One request without a cookie (a new client): which replica answered, and the cookie it was given. */
  const newClient = async () => {
    const res = await fetch(`${url}/api/health`);
    const cookie = /tfnode=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    return { node: replicaOf(res), cookie };
  };
  const nodesSeen = async (n: number) => {
    const seen = new Map<string, string | undefined>();
    for (let i = 0; i < n; i++) {
      const c = await newClient().catch(() => undefined);
      if (c) seen.set(c.node, c.cookie);
    }
    return seen;
  };

  // Both replicas discovered; new clients spread over them, each replica with a cookie of its own.
  const both = await eventually(
    'HAProxy to route to both replicas',
    async () => {
      const seen = await nodesSeen(10);
      return seen.size === 2 ? seen : undefined;
    },
    30_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\nhaproxy log:\n${fs.readFileSync(path.join(tmp, 'haproxy.log'), 'utf8')}`);
  });
  expect([...both.keys()].sort()).toEqual(['replica-127.0.0.2', 'replica-127.0.0.3']);
  const cookies = [...both.values()];
  expect(cookies.every(Boolean)).toBe(true);
  expect(new Set(cookies).size).toBe(2);

  // A client with a cookie stays on its replica (what long-polling needs).
  const cookieOf3 = both.get('replica-127.0.0.3')!;
  for (let i = 0; i < 8; i++) {
    const res = await fetch(`${url}/api/health`, { headers: { cookie: `tfnode=${cookieOf3}` } });
    expect(replicaOf(res)).toBe('replica-127.0.0.3');
  }

  // Scale out: a third replica appears in DNS and takes new clients, with no reload.
  const haproxyPid = haproxy.process.pid;
  await startReplica('127.0.0.4');
  dns.replicas = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
  await eventually(
    'new clients to reach the new replica',
    async () => ((await nodesSeen(9)).has('replica-127.0.0.4') ? true : undefined),
    30_000,
  );

  // Scale in: 127.0.0.3 drains and leaves DNS; no new client lands there, and its clients move on.
  dns.replicas = ['127.0.0.2', '127.0.0.4'];
  await nodes.get('127.0.0.3')!.stop('SIGTERM');
  await eventually(
    'HAProxy to stop routing to the removed replica',
    async () => {
      const seen = await nodesSeen(9);
      return !seen.has('replica-127.0.0.3') && seen.size === 2 ? true : undefined;
    },
    30_000,
  );
  const moved = await fetch(`${url}/api/health`, { headers: { cookie: `tfnode=${cookieOf3}` } });
  expect(moved.status).toBe(200);
  expect(replicaOf(moved)).not.toBe('replica-127.0.0.3');
  expect(haproxy.process.pid).toBe(haproxyPid);
  expect(haproxy.process.exitCode).toBeNull();
});
