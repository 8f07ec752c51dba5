import fs from 'node:fs';
import net from 'node:net';
import { assertPortFree, freePort } from './net';

describe('assertPortFree', () => {
  it('resolves for a free port, and the port is free again afterwards', async () => {
    const port = await freePort();
    await expect(assertPortFree(port)).resolves.toBeUndefined();
    await expect(assertPortFree(port)).resolves.toBeUndefined();
  });

  it('rejects with one readable line when something listens there', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as net.AddressInfo;
    try {
      await expect(assertPortFree(port)).rejects.toThrow(
        `PORT ${port} is already in use on 127.0.0.1 (another stack still running?): stop it, or set PORT to a free port`,
      );
    } finally {
      server.close();
    }
  });
});

describe('freePort', () => {
  it('gives a bindable port outside the range the kernel hands to outgoing connections', async () => {
    const [low] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    for (const port of ports) {
      if (low! > 11_000) expect(port).toBeLessThan(low!);
      else expect(port).toBeGreaterThan(0);
      await expect(assertPortFree(port)).resolves.toBeUndefined();
    }
  });
});
