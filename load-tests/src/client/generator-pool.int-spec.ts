import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { GeneratorPool } from './generator-pool';
import type { SocketPlan } from './messages';

/**
 * The generator's lost count judges the product, so it must do what a real client does: a node that says
 * `sync:required` (it missed broadcasts) is answered by joining again, and that join's snapshot is what the socket
 * has. This server plays such a node: it never sends row 2 live, then asks the socket to resync.
 */
describe('GeneratorPool against a node that missed a broadcast', () => {
  let io: Server;
  let url: string;
  let pool: GeneratorPool;
  let joins = 0;

  beforeAll(async () => {
    const server = http.createServer();
    io = new Server(server, { transports: ['websocket'] });
    io.on('connection', (socket) => {
      socket.on('dashboard:join', (_data: unknown, ack: (a: unknown) => void) => {
        joins += 1;
        void socket.join('org');
        // The first join's snapshot is at seq 1; a later one reads the task at seq 2 (the row the socket missed).
        socket.emit('dashboard:state', { tasks: [{ taskId: 't1', seq: joins === 1 ? 1 : 2 }] });
        ack({ ok: true, data: { count: 1 } });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    pool = new GeneratorPool(1);
  });
  afterAll(async () => {
    await pool.close();
    await io.close();
  });

  it('re-joins on sync:required, so the snapshot covers the missed row, and reports the reason', async () => {
    const plan: SocketPlan = { scope: 'org-1', token: undefined, join: { event: 'dashboard:join', data: {} }, localAddress: undefined };
    const opened = await pool.open(url, [plan], { connectsPerSec: 0, timeoutMs: 5000, deadlineMs: 15_000 });
    expect(opened.connected).toBe(1);
    // Row 2 is committed, but this node's subscription was down: it never broadcasts it, and says so.
    io.to('org').emit('sync:required', { reason: 'subscription_interrupted' });
    const deadline = Date.now() + 10_000;
    while (joins < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(joins).toBe(2);
    // The re-join's snapshot reaches the child before the report request (one socket, in order).
    await new Promise((r) => setTimeout(r, 200));
    const report = await pool.report({ 'org-1': { t1: 2 } });
    expect(report.lost).toBe(0);
    expect(report.syncRequired).toEqual({ subscription_interrupted: 1 });
    expect(report.rejoinErrors).toBe(0);
  });

  it('describes a pair that stayed lost: where its stream stood and what its socket went through', async () => {
    // Final seq 3 was never sent, live or in a snapshot.
    const report = await pool.report({ 'org-1': { t1: 3 } });
    expect(report.lost).toBe(1);
    expect(report.lostSamples).toEqual([
      { stream: 't1', finalSeq: 3, base: 2, max: 0, maxBefore: 0, socket: { connected: true, reconnections: 0, rejoins: 1 } },
    ]);
  });
});
