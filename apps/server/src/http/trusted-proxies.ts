import { BlockList, isIP } from 'node:net';

/** proxy-addr's names for address ranges, so TRUSTED_PROXIES reads like Express's and Fastify's own option. */
const NAMED: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** Parses TRUSTED_PROXIES entries (addresses, CIDRs, names); throws naming the first bad one. */
export function proxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries.flatMap((e) => NAMED[e] ?? [e])) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits)))
      throw new Error(`TRUSTED_PROXIES: "${entry}" is not an address, a CIDR range or one of ${Object.keys(NAMED).join(', ')}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

/**
 * Fastify's `trustProxy` for proxies at `entries`: the client is the first
 * address from the right that is not a trusted proxy. Fastify (proxy-addr) asks
 * about the connection's peer first, then each X-Forwarded-For entry from the
 * right, and stops at the first untrusted one; entries left of it were written by
 * someone we do not trust and are ignored. So a chain (cloud load balancer →
 * HAProxy → node) yields the real client when both ranges are listed, and a
 * client cannot pick its address by sending a header of its own. A client that
 * itself sits in a trusted range can: list the proxies' own addresses, not
 * whole private networks, where clients share them.
 */
export function proxyTrust(entries: readonly string[] | false): false | ((address: string) => boolean) {
  if (entries === false) return false;
  const list = proxyList(entries);
  return (address) => {
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(plain);
    return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  };
}
