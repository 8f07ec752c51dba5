import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { READY_MESSAGE } from '@taskflow/platform';
import { createTestDatabase, eventually, spawnTestProcess, testEnv, type TestDatabase } from '@taskflow/testing';

/** The worker process starts against real PostgreSQL/Redis, reports ready, and stops cleanly on SIGTERM. */
jest.setTimeout(60_000);

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('worker');
});
afterAll(() => database.drop());

/** `ipc`: started as the local stack's supervisor starts it, with an IPC channel. */
function runWorker(env: NodeJS.ProcessEnv, { ipc = false } = {}) {
  return spawnTestProcess(process.execPath, ['--conditions=taskflow-source', '--import', 'tsx', path.join(__dirname, 'main.ts')], {
    name: 'worker',
    deadlineMs: 60_000,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe', ...(ipc ? (['ipc'] as const) : [])],
  });
}

describe('worker process', () => {
  it('starts, reports ready and exits 0 on SIGTERM', async () => {
    const w = runWorker({ DATABASE_URL: database.url, REDIS_URL: testEnv('TEST_REDIS_URL'), NODE_ID: 'worker-test' });
    const deadline = Date.now() + 30_000;
    while (!w.output().includes('worker ready') && Date.now() < deadline && w.proc.exitCode === null) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(w.output()).toContain('"node":"worker-test"');
    expect(w.output()).toContain('worker ready');
    w.proc.kill('SIGTERM');
    const code = await w.exited;
    // The output says what went wrong when the exit code does not.
    expect({ code, output: code === 0 ? '' : w.output() }).toEqual({ code: 0, output: '' });
    expect(w.output()).toContain('"msg":"stopped"');
  });

  it("tells the supervisor over IPC once its queues' workers are connected", async () => {
    const w = runWorker({ DATABASE_URL: database.url, REDIS_URL: testEnv('TEST_REDIS_URL'), NODE_ID: 'worker-ipc' }, { ipc: true });
    const message = await new Promise<unknown>((resolve, reject) => {
      w.proc.once('message', resolve);
      w.proc.once('exit', (code) => reject(new Error(`exited ${code} before saying it was ready:\n${w.output()}`)));
      setTimeout(() => reject(new Error(`no ready message after 30 s:\n${w.output()}`)), 30_000).unref();
    });
    expect(message).toEqual(READY_MESSAGE);
    w.proc.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  });

  it('keeps HEARTBEAT_FILE fresh once it takes jobs and removes it on SIGTERM (the Kubernetes probes read it)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-heartbeat-'));
    const file = path.join(dir, 'beat');
    const w = runWorker({ DATABASE_URL: database.url, REDIS_URL: testEnv('TEST_REDIS_URL'), NODE_ID: 'worker-beat', HEARTBEAT_FILE: file });
    const written = await eventually(
      'the heartbeat file',
      async () => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : undefined),
      30_000,
    );
    expect(w.output()).toContain('worker ready');
    // Touched again by the running worker, not only once at start (every 5 s).
    await eventually('a second beat', async () => (fs.statSync(file).mtimeMs > written ? true : undefined), 15_000);
    w.proc.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(fs.existsSync(file)).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start with bad configuration, naming every bad variable', async () => {
    const w = runWorker({ DATABASE_URL: 'not a url', LOG_LEVEL: 'chatty' });
    expect(await w.exited).toBe(1);
    expect(w.output()).toMatch(/Invalid configuration/);
    expect(w.output()).toMatch(/DATABASE_URL/);
    expect(w.output()).toMatch(/REDIS_URL/);
    expect(w.output()).toMatch(/LOG_LEVEL/);
  });
});
