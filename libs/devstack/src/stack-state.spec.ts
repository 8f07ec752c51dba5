import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readStackState, stackStateFile, type StackState } from './stack-state';

describe('readStackState', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-stack-state-'))));
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('reads the stack.json a stack wrote into its DATA_DIR', () => {
    const state: StackState = {
      url: 'http://127.0.0.1:3000',
      supervisorPid: 42,
      control: path.join(dataDir, 'control.sock'),
      pids: [43, 44],
      nodes: [{ name: 'server-1', pid: 43, port: 3101, metricsPort: 9101, state: 'ready' }],
      workers: [{ name: 'worker-1', pid: null, state: 'backoff' }],
      haproxy: null,
      postgres: null,
      redis: { pid: 44, port: 6390 },
    };
    fs.writeFileSync(stackStateFile(dataDir), JSON.stringify(state));
    expect(stackStateFile(dataDir)).toBe(path.join(dataDir, 'stack.json'));
    expect(readStackState(dataDir)).toEqual(state);
  });

  it('is undefined without a stack: no file, an unreadable one, or one without url and supervisor', () => {
    expect(readStackState(dataDir)).toBeUndefined();
    fs.writeFileSync(stackStateFile(dataDir), '{"url": "http://x", ');
    expect(readStackState(dataDir)).toBeUndefined();
    fs.writeFileSync(stackStateFile(dataDir), JSON.stringify({ url: 'http://127.0.0.1:3000' }));
    expect(readStackState(dataDir)).toBeUndefined();
    fs.writeFileSync(stackStateFile(dataDir), 'null');
    expect(readStackState(dataDir)).toBeUndefined();
  });
});
