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
