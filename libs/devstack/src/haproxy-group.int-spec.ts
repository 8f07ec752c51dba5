import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, login, openSocket, type TestDatabase } from '@taskflow/testing';
import { groupMemberPath, haproxyCommand } from './haproxy';
import { isAlive, waitFor } from './net';
import { clusterCtl, spawnCluster, type SpawnedCluster } from './testing/cluster-harness';
import { socketDir } from './control-server';

/**
 * `LB_PROCESSES=2 npm run cluster`: two HAProxy processes share PORT (SO_REUSEPORT), so the entry point is not
 * capped at what one process's descriptors allow. Both take connections, both know every node, and a scale-out
 * reaches both.
 */
jest.setTimeout(300_000);

const PASSWORD = 'lb-group-password';
let cluster: SpawnedCluster;
let database: TestDatabase;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-lbgroup-'));
  database = await createTestDatabase('lbgroup');
  cluster = await spawnCluster(dataDir, {
    DATABASE_URL: database.url,
    SEED_DEMO: 'true',
    DEMO_PASSWORD: PASSWORD,
    NODES: '2',
    WORKERS: '1',
    LB_PROCESSES: '2',
  });
  // The CI machine runs several cluster suites at once: one start took longer than 150 s there.
}, 300_000);

afterAll(async () => {
  const code = await cluster?.stop();
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  expect(code).toBe(0);
});

const member = (i: number) => (line: string) => haproxyCommand(groupMemberPath(path.join(socketDir(dataDir), 'haproxy.sock'), i), line);

/** Each server slot's operational state in one process (`show servers state`: srv_name, srv_op_state 2 = running). */
async function runningServers(i: number): Promise<string[]> {
  const text = await member(i)('show servers state servers');
  return text
    .split('\n')
    .filter((l) => /^\d/.test(l))
    .map((l) => l.split(' '))
    .filter((f) => f[5] === '2')
    .map((f) => f[3]!)
    .sort();
}

/** The frontend's total sessions in one process (`show stat`, the FRONTEND row's stot). */
async function frontendSessions(i: number): Promise<number> {
  const csv = await member(i)('show stat');
  const [header, ...rows] = csv.split('\n');
  const col = header!.replace(/^# /, '').split(',').indexOf('stot');
  const row = rows.find((r) => r.startsWith('http_in,FRONTEND,'))!;
  return Number(row.split(',')[col]);
}

describe('LB_PROCESSES=2 npm run cluster', () => {
  it('runs two HAProxy processes, both in stack.json and both with every node', async () => {
    const pids = cluster.state().haproxy?.pids ?? [];
    expect(pids).toHaveLength(2);
    expect(pids.every(isAlive)).toBe(true);
    expect(cluster.state().pids).toEqual(expect.arrayContaining(pids));
    for (const i of [1, 2])
      await waitFor(`process ${i} to run both nodes`, async () => ((await runningServers(i)).length === 2 ? true : undefined), 30_000);
    expect(await runningServers(1)).toEqual(['server-1', 'server-2']);
    expect(await runningServers(2)).toEqual(['server-1', 'server-2']);
  });

  it('both processes take connections on the one port, and a socket works through either', async () => {
    const before = [await frontendSessions(1), await frontendSessions(2)];
    // New connections each (no keep-alive): the kernel picks a listener per connection.
    for (let i = 0; i < 60; i++) {
      const res = await fetch(`${cluster.url}/api/health`, { headers: { connection: 'close' } });
      expect(res.status).toBe(200);
    }
    const after = [await frontendSessions(1), await frontendSessions(2)];
    expect(after[0]! - before[0]!).toBeGreaterThan(0);
    expect(after[1]! - before[1]!).toBeGreaterThan(0);
    const token = await login(cluster.url, 'alice', PASSWORD);
    const sockets = await Promise.all(Array.from({ length: 6 }, () => openSocket(cluster.url, { token })));
    for (const s of sockets) expect((await s.request('dashboard:join')).ok).toBe(true);
    for (const s of sockets) s.close();
  });

  it('a scale-out reaches both processes', async () => {
    const scaled = await clusterCtl(dataDir, ['scale', '--nodes', '3']);
    expect(scaled.code).toBe(0);
    for (const i of [1, 2])
      await waitFor(
        `process ${i} to run server-3`,
        async () => ((await runningServers(i)).includes('server-3') ? true : undefined),
        30_000,
      );
  });
});
