import Fastify from 'fastify';
import { proxyTrust } from './trusted-proxies';

/** What a node takes for the client's address, given who connected and the X-Forwarded-For they sent. */
function clientAddress(trusted: readonly string[] | false) {
  const app = Fastify({ trustProxy: proxyTrust(trusted) });
  app.get('/ip', async (request) => ({ ip: request.ip }));
  return async (remoteAddress: string, forwardedFor?: string): Promise<string> =>
    (await app.inject({ url: '/ip', remoteAddress, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} })).json().ip;
}

const CLOUD_LB = '10.1.2.3';
const HAPROXY = '172.18.0.5';

describe('client address behind trusted proxies', () => {
  it('walks X-Forwarded-For from the right past each trusted hop: cloud load balancer → HAProxy → node', async () => {
    const seen = clientAddress(['10.0.0.0/8', `${HAPROXY}/32`]);
    // HAProxy connects; the load balancer appended the client, HAProxy appended the load balancer.
    expect(await seen(HAPROXY, `203.0.113.7, ${CLOUD_LB}`)).toBe('203.0.113.7');
    // A client that writes its own entry first: that entry is left of the first untrusted hop, so it is ignored.
    expect(await seen(HAPROXY, `192.0.2.99, 203.0.113.7, ${CLOUD_LB}`)).toBe('203.0.113.7');
    // IPv4-mapped peers count as their IPv4 address.
    expect(await seen(`::ffff:${HAPROXY}`, `192.0.2.99, 203.0.113.7, ${CLOUD_LB}`)).toBe('203.0.113.7');
    // Anyone else connecting directly: the header is not believed at all.
    expect(await seen('203.0.113.8', `192.0.2.99, ${CLOUD_LB}`)).toBe('203.0.113.8');
  });

  it('with only HAProxy trusted, the load balancer is the client (the old behaviour behind a cloud LB)', async () => {
    const seen = clientAddress([`${HAPROXY}/32`]);
    expect(await seen(HAPROXY, `203.0.113.7, ${CLOUD_LB}`)).toBe(CLOUD_LB);
  });

  it('trusts nobody with `none` (false): a loopback client cannot rotate its address', async () => {
    const seen = clientAddress(false);
    for (const spoofed of ['198.51.100.1', '198.51.100.2', '10.0.0.1, 198.51.100.3'])
      expect(await seen('127.0.0.1', spoofed)).toBe('127.0.0.1');
  });
});
