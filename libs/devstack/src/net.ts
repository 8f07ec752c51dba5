import fs from 'node:fs';
import net from 'node:net';

/**
 * A TCP port that was free on 127.0.0.1 a moment ago, for another process to bind later. Taken below the kernel's
 * ephemeral range when there is room: a port the kernel handed out (listen on 0) is also what it hands the next
 * outgoing connection, and on a busy machine one of those could hold it by the time HAProxy or a node binds it.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  if (low > 11_000) {
    for (let i = 0; i < 20; i++) {
      const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
      if (await canListen(port)) return port;
    }
  }
  return listenOn(0);
}

function ephemeralLow(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 0;
  } catch {
    return 0;
  }
}

/** Whether a listener could bind 127.0.0.1:`port` just now. */
export const canListen = (port: number) =>
  listenOn(port).then(
    () => true,
    () => false,
  );

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * Resolves when nothing listens on 127.0.0.1:`port`, rejects with a readable error when something does. HAProxy binds
 * with SO_REUSEPORT, so a second stack's HAProxy on a port still held by an earlier one (left running after a crash)
 * would not fail: the two would share the port and split its clients between two clusters.
 */
export function assertPortFree(port: number, what = 'PORT'): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(
              `${what} ${port} is already in use on 127.0.0.1 (another stack still running?): stop it, or set ${what} to a free port`,
            )
          : err,
      ),
    );
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve()));
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
