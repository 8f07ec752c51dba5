import net from 'node:net';
import path from 'node:path';
import { runTestProcess } from '@taskflow/testing';

const REQUIRED = [
  'scenario',
  'sockets',
  'rate',
  'durationS',
  'deliveries',
  'deliveriesPerSec',
  'lost',
  'duplicated',
  'outOfOrder',
  'p50Ms',
  'p95Ms',
  'p99Ms',
  'maxMs',
  'connectP99Ms',
  'rssPerSocketKB',
  'cpuSecondsByComponent',
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The smoke scenario through the real CLI (`npm run bench -- smoke`): its own cluster
 * (HAProxy → 2 nodes, 1 worker), a few hundred sockets over the lightweight client, tasks
 * driven through REST and signed webhooks. Nothing may be lost, duplicated or reordered.
 */
describe('npm run bench -- smoke', () => {
  // 70 s on a busy 2-core machine (load 10); the budget is a ceiling for hangs with 3x headroom over that.
  it('delivers every row once and in order, and ends stdout with the JSON summary', async () => {
    const port = await freePort();
    // Its own process group: the bench's cluster and generators end with the test at the latest.
    const {
      code,
      stdout: out,
      stderr: err,
    } = await runTestProcess(
      process.execPath,
      ['--conditions=taskflow-source', '--import', 'tsx', path.join(__dirname, 'cli.ts'), 'smoke', '--port', String(port)],
      { name: 'npm run bench -- smoke', deadlineMs: 240_000, cwd: path.resolve(__dirname, '../..') },
    );
    if (code !== 0) throw new Error(`bench exited ${code}\n${err.slice(-3000)}`);
    const lines = out.trim().split('\n');
    const summary = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
    for (const field of REQUIRED) expect(summary).toHaveProperty(field);
    expect(out).toContain('| lost / duplicated / out of order |');
    expect(summary).toMatchObject({
      scenario: 'smoke',
      sockets: 300,
      connected: 300,
      connectErrors: 0,
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
      unexpectedCloses: 0,
    });
    // Every smoke task is merged: 6 committed states, each row reaching every socket of its org.
    expect(summary.drive).toMatchObject({ createErrors: 0, webhookErrors: 0, notMerged: 0 });
    expect(summary.deliveries as number).toBeGreaterThanOrEqual(300 * 2);
    // Steady-state join probes (5 fresh sockets/s over the window): each joined and re-joined, and was timed.
    const probe = summary.joinProbe as { count: number; errors: number; join: { count: number }; rejoin: { count: number } };
    expect(probe.errors).toBe(0);
    expect(probe.count).toBeGreaterThanOrEqual(10);
    expect(probe.join.count).toBe(probe.count);
    expect(probe.rejoin.count).toBe(probe.count);
    expect(summary.joinSteadyP99Ms).toEqual(expect.any(Number));
    expect(Object.keys(summary.cpuSecondsByComponent as object).sort()).toEqual([
      'generator',
      'haproxy',
      'nodes',
      'postgres',
      'redis',
      'workers',
    ]);
  }, 240_000);
});
