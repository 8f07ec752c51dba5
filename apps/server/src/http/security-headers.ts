import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';

/** A Host header that is only a host name or address and a port (anything else is left out of the policy). */
const PLAIN_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Security headers on every response. The Content-Security-Policy allows only
 * this origin's own files: the built web app loads one module script and one
 * stylesheet and runs no inline script, so no 'unsafe-inline' is needed
 * (React sets styles through the CSSOM, which style-src does not restrict).
 * connect-src names the socket's ws:/wss: URL of the host asked for, for
 * browsers whose 'self' does not cover WebSocket yet. No framing at all, no
 * MIME sniffing, no Referer leaving the page.
 */
export async function registerSecurityHeaders(
  app: FastifyInstance,
  opts: { hstsMaxAgeSeconds: number; isSecure: (req: IncomingMessage) => boolean } = { hstsMaxAgeSeconds: 0, isSecure: () => false },
): Promise<void> {
  const sameHostSockets = (req: IncomingMessage) => {
    const host = req.headers.host;
    return host && PLAIN_HOST.test(host) ? `ws://${host} wss://${host}` : "'self'";
  };
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'", sameHostSockets as never],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Set below, on HTTPS responses only: over plain http a browser ignores it, and locally there is no TLS at all.
    strictTransportSecurity: false,
  });
  if (opts.hstsMaxAgeSeconds > 0) {
    const value = `max-age=${opts.hstsMaxAgeSeconds}`;
    app.addHook('onRequest', async (request, reply) => {
      if (opts.isSecure(request.raw)) void reply.header('strict-transport-security', value);
    });
  }
}
