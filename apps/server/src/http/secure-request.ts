import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { proxyTrust } from './trusted-proxies';

/**
 * Whether a request reached us over HTTPS: TLS on this node's own socket, or `X-Forwarded-Proto: https` from a
 * trusted proxy (TRUSTED_PROXIES: the connection's peer must be one). From anyone else the header is ignored, so
 * a client cannot claim HTTPS over plain http; HAProxy sets or strips the header (docs/operations.md#tls-layouts).
 * The last entry counts: the one the proxy next to us wrote. Used for HTTP requests and socket handshakes alike.
 */
export function secureRequestCheck(trustedProxies: readonly string[] | false): (req: IncomingMessage) => boolean {
  const trust = proxyTrust(trustedProxies);
  return (req) => {
    if ((req.socket as Partial<TLSSocket>).encrypted === true) return true;
    const header = req.headers['x-forwarded-proto'];
    const peer = req.socket.remoteAddress;
    if (!header || !trust || !peer || !trust(peer)) return false;
    const last = (Array.isArray(header) ? header.join(',') : header).split(',').pop() ?? '';
    return last.trim().toLowerCase() === 'https';
  };
}
