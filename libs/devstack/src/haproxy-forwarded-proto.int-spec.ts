import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@taskflow/testing';
import { HAPROXY_BACKEND, haproxyConfig, slotName, startHaproxy, type Haproxy } from './haproxy';

/**
 * X-Forwarded-Proto through the real HAProxy with the generated config: the node behind it must learn the scheme
 * HAProxy saw, never the one a client claims (the node names its session cookie __Host- and sends HSTS on its word).
 * Plain http (the local cluster) and TLS at HAProxy (a self-signed certificate), the layouts of docs/operations.md.
 */
jest.setTimeout(60_000);

let dir: string;
const proxies: Haproxy[] = [];
let node: http.Server;
let seen: http.IncomingHttpHeaders[] = [];

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = http.createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(p));
    });
  });

/** An HAProxy in front of the recording node; resolves once the node's slot is up. */
async function haproxyInFront(name: string, tlsCertFile?: string): Promise<number> {
  const port = await freePort();
  const statsSocket = path.join(dir, `${name}.sock`);
  const haproxy = startHaproxy({
    configFile: path.join(dir, `${name}.cfg`),
    config: haproxyConfig({ port, statsSocket, slots: 1, tlsCertFile }),
    logFile: path.join(dir, `${name}.log`),
    statsSocket,
  });
  proxies.push(haproxy);
  for (const deadline = Date.now() + 15_000; !fs.existsSync(statsSocket); await new Promise((r) => setTimeout(r, 100)))
    if (Date.now() > deadline)
      throw new Error(`HAProxy (${name}) did not start: ${fs.readFileSync(path.join(dir, `${name}.log`), 'utf8')}`);
  const nodePort = (node.address() as AddressInfo).port;
  await haproxy.command(`set server ${HAPROXY_BACKEND}/${slotName(1)} addr 127.0.0.1 port ${nodePort}`);
  await haproxy.command(`set server ${HAPROXY_BACKEND}/${slotName(1)} state ready`);
  const up = async () =>
    (await haproxy.command('show stat')).split('\n').some((l) => l.startsWith(`${HAPROXY_BACKEND},${slotName(1)},`) && /,UP[, ]/.test(l));
  for (const deadline = Date.now() + 15_000; !(await up()); await new Promise((r) => setTimeout(r, 100)))
    if (Date.now() > deadline) throw new Error(`the node did not come UP behind HAProxy (${name})`);
  return port;
}

function request(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { headers, rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haproxy-proto-'));
  node = http.createServer((req, res) => {
    if (req.url !== '/api/ready') seen.push(req.headers);
    res.writeHead(200).end('ok');
  });
  await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const p of proxies) await p.stop();
  node?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
});

it('plain http: the node hears http, whatever the client claimed', async () => {
  const port = await haproxyInFront('plain');
  for (const claim of [{}, { 'x-forwarded-proto': 'https' }, { 'x-forwarded-proto': 'http, https' }] as Array<Record<string, string>>)
    expect(await request(`http://127.0.0.1:${port}/api/config`, claim)).toBe(200);
  expect(seen.map((h) => h['x-forwarded-proto'])).toEqual(['http', 'http', 'http']);
});

it('TLS at HAProxy: the node hears https, whatever the client claimed', async () => {
  const pem = path.join(dir, 'site.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      `${pem}.key`,
      '-out',
      `${pem}.crt`,
    ],
    {
      stdio: 'ignore',
    },
  );
  fs.writeFileSync(pem, fs.readFileSync(`${pem}.crt`, 'utf8') + fs.readFileSync(`${pem}.key`, 'utf8'));
  const port = await haproxyInFront('tls', pem);
  for (const claim of [{}, { 'x-forwarded-proto': 'http' }] as Array<Record<string, string>>)
    expect(await request(`https://127.0.0.1:${port}/api/config`, claim)).toBe(200);
  expect(seen.map((h) => h['x-forwarded-proto'])).toEqual(['https', 'https']);
});

it("the containers' HAProxy config has the same rules", () => {
  const infra = fs.readFileSync(path.join(REPO_ROOT, 'infra/haproxy/haproxy.cfg'), 'utf8');
  const rules = haproxyConfig({ port: 1, statsSocket: '/dev/null' })
    .split('\n')
    .filter((l) => /X-Forwarded-Proto/.test(l) && !l.trim().startsWith('#'));
  expect(rules).toHaveLength(2);
  for (const rule of rules) expect(infra).toContain(rule);
});
