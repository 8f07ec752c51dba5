import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countHealthTransitions, failedChecksFromStat, HaproxyHealthWatch } from './haproxy-health';

// Lines as HAProxy (-db) writes them to the stack's logs/haproxy.log.
const LOG = [
  '[WARNING]  (17535) : Server servers/server-1 is UP/READY (leaving forced maintenance).',
  '[WARNING]  (17535) : Server servers/server-2 is DOWN, reason: Layer7 timeout, check duration: 3001ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
  '[WARNING]  (17535) : Server servers/server-2 is UP, reason: Layer7 check passed, code: 200, check duration: 2ms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
  '[WARNING]  (17535) : Server servers/server-1 is going DOWN for maintenance. 1 active and 0 backup servers left.',
  '[WARNING]  (17535) : Server servers/server-1 was DOWN and now enters maintenance.',
  '[WARNING]  (17535) : Server bare/node-1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms.',
  "[ALERT]    (17535) : backend 'servers' has no server available!",
].join('\n');

describe('HAProxy health of the product servers', () => {
  it('counts check-driven DOWN and UP transitions of the product backend only, not maintenance', () => {
    const t = countHealthTransitions(LOG);
    expect(t.down).toBe(1);
    expect(t.up).toBe(1);
    expect(t.samples[0]).toMatch(/^Server servers\/server-2 is DOWN, reason: Layer7 timeout/);
    expect(countHealthTransitions(LOG, 'bare').down).toBe(1);
    expect(countHealthTransitions('')).toEqual({ down: 0, up: 0, samples: [] });
  });

  it('sums chkfail of the backend servers from show stat, and says null for output without the column', () => {
    const csv = [
      '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,',
      'http_in,FRONTEND,,,1,2,100,3,0,0,0,0,0,,,,,OPEN,,,,,,,',
      'servers,server-1,0,0,0,1,,2,0,0,,0,,0,0,0,0,UP,1,1,0,3,1,20,',
      'servers,server-2,0,0,0,1,,2,0,0,,0,,0,0,0,0,UP,1,1,0,2,0,20,',
      'servers,server-3,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,1,1,0,0,0,20,',
      'servers,BACKEND,0,0,0,1,10,4,0,0,0,0,,0,0,0,0,UP,2,2,0,,9,20,',
    ].join('\n');
    expect(failedChecksFromStat(csv)).toBe(5);
    expect(failedChecksFromStat('Unknown command.\n')).toBeNull();
  });

  it('reads only what the log gained during the window', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-health-'));
    try {
      const log = path.join(dir, 'haproxy.log');
      fs.writeFileSync(log, `${LOG}\n`);
      const watch = new HaproxyHealthWatch(log, path.join(dir, 'no-such.sock'));
      await watch.start();
      fs.appendFileSync(log, '[WARNING]  (1) : Server servers/server-1 is DOWN, reason: Layer7 timeout, check duration: 3000ms.\n');
      expect(await watch.stop()).toMatchObject({ down: 1, up: 0, failedChecks: null });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
