import net from 'node:net';
import { createStoreFixture, type StoreFixture } from '@taskflow/store/testing';
import { type AppProcess } from '@taskflow/testing';
import { startServerNode } from './testing/server-node';

/**
 * A node whose event loop is stalled (a connect burst, a long fan-out) must still complete TCP handshakes, or the
 * load balancer's checks time out at layer 4 and the node is marked DOWN. The stall is a SIGSTOP: nothing accepts,
 * so only the kernel's accept queue (the listen backlog) answers. Node's default backlog (511) fails this.
 */
jest.setTimeout(60_000);

const CONNECTIONS = 1500;

let f: StoreFixture;
let server: AppProcess;
let port: number;

// Starts a server process (up to 60 s on a busy machine, see startServerNode): a budget above that.
beforeAll(async () => {
  f = await createStoreFixture();
  const node = await startServerNode(f.url);
  server = node.process;
  port = Number(new URL(node.url).port);
}, 120_000);

afterAll(async () => {
  server.proc.kill('SIGCONT');
  await server.stop('SIGKILL');
  await f.close();
});

/** Resolves true when the TCP handshake completes within the timeout (what an HAProxy layer-4 check needs). */
function handshake(timeoutMs: number, sockets: net.Socket[]): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    sockets.push(socket);
    const timer = setTimeout(() => resolve(false), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

it('completes the handshakes of 1,500 connections while its event loop is stopped', async () => {
  const sockets: net.Socket[] = [];
  server.proc.kill('SIGSTOP');
  try {
    // The stopped node never accepts, so a handshake the backlog has no room for never completes, however long we
    // wait; the deadline only has to outlast this test process being starved (at load 22, 1 s saw 160 of 1,500).
    const results = await Promise.all(Array.from({ length: CONNECTIONS }, () => handshake(10_000, sockets)));
    expect(results.filter(Boolean)).toHaveLength(CONNECTIONS);
  } finally {
    server.proc.kill('SIGCONT');
    for (const socket of sockets) socket.destroy();
  }
  // And the node serves again once it runs.
  expect((await fetch(`http://127.0.0.1:${port}/api/ready`)).status).toBe(200);
});
