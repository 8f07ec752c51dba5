import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { READY_MESSAGE } from '@taskflow/platform';
import { runTestProcess, spawnTestProcess } from '@taskflow/testing';
import { REPO_ROOT } from './config';
import { CONTROL_SOCKET, startControlServer } from './control-server';
import { Supervisor } from './supervisor';

/**
 * `npm run cluster:ctl` never waits forever: with no stack, a stale socket, or a supervisor that does not
 * answer (or stops answering) it gives up within 5 s of silence, in one line; a long command whose
 * supervisor keeps answering (heartbeats) is waited for.
 */
jest.setTimeout(90_000);

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-ctl-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

async function ctl(args: string[], dir = dataDir): Promise<{ code: number | null; stdout: string; stderr: string; endedAt: number }> {
  // Well past the 5 s it may wait in silence: a hang here is the bug under test, not a slow machine.
  const { code, stdout, stderr } = await runTestProcess('npm', ['run', '-s', 'cluster:ctl', '--', ...args], {
    name: `cluster:ctl ${args.join(' ')}`,
    deadlineMs: 60_000,
    cwd: REPO_ROOT,
    env: { ...process.env, DATA_DIR: dir },
  });
  return { code, stdout, stderr, endedAt: Date.now() };
}

/** A server on the control socket that does what `handle` says with each connection, and notes when it accepted it. */
async function fakeSupervisor(handle: (socket: net.Socket) => void): Promise<{ acceptedAt: () => number; close(): void }> {
  let acceptedAt = 0;
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    acceptedAt = Date.now();
    sockets.push(socket);
    handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(path.join(dataDir, CONTROL_SOCKET), resolve));
  return {
    acceptedAt: () => acceptedAt,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('npm run cluster:ctl gives up in one line', () => {
  it('when DATA_DIR does not exist', async () => {
    const run = await ctl(['status', '--json'], path.join(dataDir, 'deleted'));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining(`no running stack under ${path.join(dataDir, 'deleted')}`)]);
  });

  it('when the socket was left behind by a stack that was killed', async () => {
    // Listening, then SIGKILLed: the socket file stays, nothing accepts on it.
    const socketPath = path.join(dataDir, CONTROL_SOCKET);
    spawnSync(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    expect(fs.existsSync(socketPath)).toBe(true);
    const run = await ctl(['status']);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^no running stack answers on .*control\.sock \(ECONNREFUSED/)]);
  });

  it('5 s after connecting to a supervisor that accepts and never answers', async () => {
    const silent = await fakeSupervisor(() => undefined);
    try {
      const run = await ctl(['status', '--json']);
      const waitedMs = run.endedAt - silent.acceptedAt();
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining('did not answer within 5 s')]);
      // Its own timer, plus the time a busy machine takes to end the process.
      expect(waitedMs).toBeGreaterThanOrEqual(4900);
      expect(waitedMs).toBeLessThan(8000);
    } finally {
      silent.close();
    }
  });

  it('5 s after a supervisor that started answering went silent', async () => {
    const stuck = await fakeSupervisor((socket) =>
      socket.once('data', () =>
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\ntransfer-encoding: chunked\r\n\r\n'),
      ),
    );
    try {
      const run = await ctl(['restart']);
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining('went silent for 5 s mid-answer')]);
      expect(run.endedAt - stuck.acceptedAt()).toBeLessThan(8000);
    } finally {
      stuck.close();
    }
  });
});

describe('npm run cluster:ctl -- restart', () => {
  it('waits through a restart longer than 5 s, and reports the worker once the new one is ready', async () => {
    const READY_AFTER_MS = 1500;
    // Ignores SIGTERM (killed after the 4 s grace), says it is ready 1.5 s after it starts: a restart takes about 5.5 s.
    const worker = `setInterval(() => undefined, 1000); process.on("SIGTERM", () => undefined); setTimeout(() => process.send(${JSON.stringify(
      READY_MESSAGE,
    )}), ${READY_AFTER_MS});`;
    const supervisor = new Supervisor({
      url: 'http://127.0.0.1:9',
      log: () => undefined,
      stopGraceMs: 4000,
      readyTimeoutMs: 20_000,
      workersSayReady: true,
      spawn: (name) => {
        const p = spawnTestProcess(process.execPath, ['-e', worker], {
          name,
          deadlineMs: 60_000,
          stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        });
        return { name, process: p.proc, exited: p.exited };
      },
    });
    const control = startControlServer({
      socketPath: path.join(dataDir, CONTROL_SOCKET),
      supervisor,
      url: 'http://127.0.0.1:9',
      log: () => undefined,
    });
    try {
      const w = supervisor.addWorker();
      await supervisor.untilReady(w, 15_000);
      const before = w.child!.process.pid;
      const started = Date.now();
      const run = await ctl(['restart']);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(run.endedAt - started).toBeGreaterThan(5000);
      const lines = run.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^worker-1 restarted \(pid \d+\) and ready in \d+ ms$/);
      expect(Number(/pid (\d+)/.exec(lines[0]!)![1])).not.toBe(before);
      expect(lines[1]).toMatch(/^done in \d+\.\d s$/);
      // The table: the worker ready, no unexpected exit.
      expect(lines.find((l) => /^worker-1 {2}/.test(l))).toMatch(/^worker-1\s+\d+\s+-\s+ready\s+\d+s\s+0$/);
    } finally {
      await control.close();
      // It ignores SIGTERM: no need to wait for the grace period.
      for (const m of supervisor.workers) m.child?.process.kill('SIGKILL');
      await supervisor.stopAll();
    }
  });
});
