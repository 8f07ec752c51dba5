import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { localAppUrl } from './app-url';

/** The tools find the app as docs/development.md says: APP_URL, else PORT, else the running stack's stack.json, else 3000. */
describe('localAppUrl', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-app-url-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const writeStack = (url: string, supervisorPid: number) =>
    fs.writeFileSync(path.join(dataDir, 'stack.json'), JSON.stringify({ url, supervisorPid }));

  it('takes the running stack from DATA_DIR/stack.json', () => {
    writeStack('http://127.0.0.1:3911', process.pid);
    expect(localAppUrl({ DATA_DIR: dataDir })).toEqual({
      url: 'http://127.0.0.1:3911',
      from: `the running stack's ${path.join(dataDir, 'stack.json')}`,
    });
  });

  it('prefers APP_URL, then PORT, to the stack.json', () => {
    writeStack('http://127.0.0.1:3911', process.pid);
    expect(localAppUrl({ DATA_DIR: dataDir, PORT: '4100', APP_URL: 'http://127.0.0.2:4200/' })).toEqual({
      url: 'http://127.0.0.2:4200',
      from: 'APP_URL',
    });
    expect(localAppUrl({ DATA_DIR: dataDir, PORT: '4100' })).toEqual({ url: 'http://127.0.0.1:4100', from: 'PORT' });
  });

  it('falls back to port 3000 when no stack runs there, or its supervisor is gone', () => {
    expect(localAppUrl({ DATA_DIR: dataDir }).url).toBe('http://127.0.0.1:3000');
    writeStack('http://127.0.0.1:3911', spawnSync(process.execPath, ['-e', '']).pid);
    expect(localAppUrl({ DATA_DIR: dataDir })).toEqual({
      url: 'http://127.0.0.1:3000',
      from: `the default: no running stack in ${dataDir}`,
    });
  });
});
