import http from 'node:http';
import net from 'node:net';

/**
 * What a middlebox does with WebSocket upgrades: `accept-then-close` passes the upgrade to the server, hands its
 * 101 to the browser and closes the WebSocket at once, cleanly (a close frame; some corporate proxies and antivirus
 * filters); `refuse` answers 400 and closes.
 */
export type UpgradeBehaviour = 'accept-then-close' | 'refuse';

export interface MiddleboxProxy {
  url: string;
  /** WebSocket upgrade requests it saw. */
  upgrades: number;
  stop(): Promise<void>;
}

/** A server's WebSocket close frame: FIN + close, 2 bytes of payload, status 1001. */
const CLOSE_FRAME = Buffer.from([0x88, 0x02, 0x03, 0xe9]);

/** An HTTP proxy on 127.0.0.1:`port` in front of `target` that passes plain HTTP (long-polling too) through. */
export async function startMiddleboxProxy(port: number, target: string, behaviour: UpgradeBehaviour): Promise<MiddleboxProxy> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const forwarded = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  const proxy: MiddleboxProxy = {
    url: `http://127.0.0.1:${port}`,
    upgrades: 0,
    async stop() {
      const stopped = new Promise<void>((r) => server.close(() => r()));
      // Keep-alive connections (long-polling) would hold close() open.
      server.closeAllConnections();
      await stopped;
    },
  };
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    proxy.upgrades += 1;
    socket.on('error', () => undefined);
    if (behaviour === 'refuse')
      return void socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n', () => socket.destroy());
    const toServer = net.connect(Number(upstream.port), upstream.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      toServer.write(`${lines.join('\r\n')}\r\n\r\n`);
      toServer.write(head);
    });
    let received = Buffer.alloc(0);
    toServer.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      // The server's answer (101) up to its blank line, nothing after it (not even the engine's handshake), then a
      // close frame (1001, going away): the browser sees the WebSocket open and closed cleanly, not failed.
      socket.end(Buffer.concat([received.subarray(0, end + 4), CLOSE_FRAME]), () => socket.destroy());
      toServer.destroy();
    });
    toServer.on('error', () => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return proxy;
}
