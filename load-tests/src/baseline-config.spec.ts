import { haproxyConfigFor } from '../baselines/bare-baseline';

const CLUSTER_CFG = `global
  maxconn 4000
  stats socket /tmp/x/haproxy.sock mode 600 level admin
defaults
  mode http
  timeout tunnel 1h
frontend http_in
  bind 127.0.0.1:3900
  default_backend servers
backend servers
  balance leastconn
  default-server inter 1s fall 2 rise 2
  server server-1 127.0.0.1:9 cookie server-1 check disabled
  server server-2 127.0.0.1:9 cookie server-2 check disabled
  server server-3 127.0.0.1:9 cookie server-3 check disabled
`;

describe('the baseline behind HAProxy', () => {
  it('keeps the cluster config and only changes the bind port, stats socket and servers', () => {
    const cfg = haproxyConfigFor(CLUSTER_CFG, { port: 4100, statsSocket: '/tmp/y/s.sock', serverPorts: [5001, 5002] });
    expect(cfg).toContain('bind 127.0.0.1:4100');
    expect(cfg).toContain('stats socket /tmp/y/s.sock mode 600 level admin');
    expect(cfg).toContain('server server-1 127.0.0.1:5001 cookie server-1 check\n');
    expect(cfg).toContain('server server-2 127.0.0.1:5002 cookie server-2 check\n');
    expect(cfg).not.toContain('server-3');
    expect(cfg).toContain('timeout tunnel 1h');
    expect(cfg).toContain('default-server inter 1s fall 2 rise 2');
  });
});
