import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HAPROXY_BACKEND, haproxyConfig, slotName, startHaproxy, type Haproxy } from './haproxy';

/**
 * The generated HAProxy config against nodes that answer /api/ready slowly (a node busy fanning
 * out) or with 503 (a draining node): the slow one stays in, the draining one is out within 2 s.
 */
jest.setTimeout(60_000);

let dir: string;
let haproxy: Haproxy;
const servers: http.Server[] = [];

async function node(readyStatus: number, delayMs: number): Promise<number> {
  const server = http.createServer((req, res) => {
    setTimeout(() => {
      res.writeHead(req.url === '/api/ready' ? readyStatus : 200).end('ok');
    }, delayMs);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function enable(slot: number, port: number): Promise<void> {
  await haproxy.command(`set server ${HAPROXY_BACKEND}/${slotName(slot)} addr 127.0.0.1 port ${port}`);
  await haproxy.command(`set server ${HAPROXY_BACKEND}/${slotName(slot)} state ready`);
}

/** The operational status HAProxy reports for a slot (UP, DOWN, …), from `show stat`. */
async function status(slot: number): Promise<string> {
  const csv = await haproxy.command('show stat');
  const header = csv.split('\n')[0]!.replace(/^# /, '').split(',');
  const row = csv.split('\n').find((l) => l.startsWith(`${HAPROXY_BACKEND},${slotName(slot)},`));
  return row?.split(',')[header.indexOf('status')] ?? 'missing';
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haproxy-checks-'));
  const statsSocket = path.join(dir, 'haproxy.sock');
  const port = await new Promise<number>((resolve) => {
    const probe = http.createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(p));
    });
  });
  haproxy = startHaproxy({
    configFile: path.join(dir, 'haproxy.cfg'),
    config: haproxyConfig({ port, statsSocket, slots: 2 }),
    logFile: path.join(dir, 'haproxy.log'),
    statsSocket,
  });
  for (const deadline = Date.now() + 15_000; !fs.existsSync(statsSocket) && Date.now() < deadline;)
    await new Promise((r) => setTimeout(r, 100));
});

afterAll(async () => {
  await haproxy?.stop();
  for (const s of servers) s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('keeps a node whose readiness answers in 1.5 s, and takes a draining (503) node out within 2 s', async () => {
  await enable(1, await node(200, 1500));
  await enable(2, await node(503, 0));
  const started = Date.now();
  let drainedAfterMs: number | undefined;
  while (Date.now() - started < 8000) {
    if (drainedAfterMs === undefined && (await status(2)).startsWith('DOWN')) drainedAfterMs = Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  // Several 1.5 s checks have run by now: with a check timeout of 1 s (the interval) this node would be DOWN.
  expect(await status(1)).toMatch(/^UP/);
  expect(drainedAfterMs).toBeDefined();
  expect(drainedAfterMs!).toBeLessThanOrEqual(2500);
});
