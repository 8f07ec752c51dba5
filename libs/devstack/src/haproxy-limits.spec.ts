import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HAPROXY_MAXCONN, haproxyConfig, haproxyLimits } from './haproxy';

describe('haproxyLimits', () => {
  it('asks for the full maxconn and descriptors for both sides when the hard limit may be raised', () => {
    expect(
      haproxyLimits(
        50_000,
        () => true,
        () => 20_000,
      ),
    ).toEqual({ maxconn: 50_000, ulimitN: 100_064 });
  });

  it('caps maxconn to half the hard limit (minus a reserve) when it may not, and says so', () => {
    expect(
      haproxyLimits(
        HAPROXY_MAXCONN,
        () => false,
        () => 20_000,
      ),
    ).toEqual({ maxconn: 9_968, ulimitN: 20_000, cappedBy: 20_000 });
  });

  it('writes maxconn and ulimit-n into a config HAProxy accepts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haproxy-limits-'));
    const file = path.join(dir, 'haproxy.cfg');
    const cfg = haproxyConfig({ port: 1, statsSocket: path.join(dir, 's.sock'), slots: 2 });
    const limits = haproxyLimits();
    expect(cfg).toContain(`  maxconn ${limits.maxconn}\n  ulimit-n ${limits.ulimitN}\n`);
    fs.writeFileSync(file, cfg);
    const out = execFileSync('haproxy', ['-c', '-f', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toMatch(/valid/i);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
