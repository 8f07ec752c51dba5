import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually } from '@taskflow/testing';
import { startHeartbeat } from './heartbeat';

describe('the worker heartbeat file', () => {
  it('is written at once, touched again every interval, and removed on stop', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heartbeat-'));
    const file = path.join(dir, 'worker-heartbeat');
    const errors: unknown[] = [];
    const stop = startHeartbeat(file, 50, (err) => errors.push(err));
    try {
      const first = await eventually('the first beat', async () => fs.readFileSync(file, 'utf8'), 5000);
      await eventually('a later beat', async () => (fs.readFileSync(file, 'utf8') !== first ? true : undefined), 5000);
    } finally {
      await stop();
    }
    expect(fs.existsSync(file)).toBe(false);
    expect(errors).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
