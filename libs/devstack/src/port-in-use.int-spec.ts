import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runTestProcess } from '@taskflow/testing';
import { REPO_ROOT } from './config';

/**
 * `npm run cluster` on a port something still holds (a cluster left running by a crash, another service): HAProxy
 * binds with SO_REUSEPORT and would share the port with it, splitting the clients between the two. The stack refuses,
 * in one line, before it starts anything.
 */
it('npm run cluster refuses a PORT that is in use, in one line, before starting anything', async () => {
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  const { port } = holder.address() as net.AddressInfo;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-port-'));
  try {
    const { code, stderr } = await runTestProcess(process.execPath, [path.join(REPO_ROOT, 'infra/local/bootstrap.mjs'), 'cluster'], {
      name: 'npm run cluster (port in use)',
      deadlineMs: 120_000,
      env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      `[stack] PORT ${port} is already in use on 127.0.0.1 (another stack still running?): stop it, or set PORT to a free port`,
    ]);
    // Nothing was started: no database, no Redis, no logs.
    expect(fs.readdirSync(dataDir)).toEqual([]);
  } finally {
    holder.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}, 150_000);
