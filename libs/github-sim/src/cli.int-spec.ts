import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTestProcess } from '@taskflow/testing';
import { startWebhookReceiver, type WebhookReceiver } from './testing/webhook-receiver';

const TASK_ID = '3f2b8c1e-8d9a-4c6b-9d1e-123456789abc';
const SECRET = 'cli-test-secret';
// Starting tsx takes a moment on a cold machine.
jest.setTimeout(30_000);

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI the way the root `simulate` script does; async so the in-process receiver can answer. */
async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const baseEnv = { ...process.env };
  // The developer's own settings must not steer the test.
  for (const name of ['APP_URL', 'PORT', 'GITHUB_WEBHOOK_SECRET', 'GITHUB_REPO', 'PR_NUMBER', 'DATA_DIR']) delete baseEnv[name];
  const { code, stdout, stderr } = await runTestProcess(
    process.execPath,
    ['--conditions=taskflow-source', '--import', 'tsx', 'src/cli.ts', ...args],
    { name: `simulate ${args.join(' ')}`, deadlineMs: 30_000, cwd: path.resolve(__dirname, '..'), env: { ...baseEnv, ...env } },
  );
  return { code, stdout, stderr };
}

describe('simulate CLI', () => {
  it.each([
    ['an unknown step', [TASK_ID, 'deploy']],
    ['a task id that is not a UUID', ['task-1', 'coding']],
    ['missing arguments', [TASK_ID]],
  ])('prints usage and exits 2 for %s', async (_case, args) => {
    const { code, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: npm run simulate');
  });

  it('exits 1 with a one-line explanation when no secret is available', async () => {
    const emptyDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'github-sim-'));
    try {
      const { code, stderr } = await runCli([TASK_ID, 'coding'], { DATA_DIR: emptyDataDir, APP_URL: 'http://127.0.0.1:9' });
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([expect.stringContaining('GITHUB_WEBHOOK_SECRET')]);
    } finally {
      fs.rmSync(emptyDataDir, { recursive: true, force: true });
    }
  });

  describe('against a receiver', () => {
    let receiver: WebhookReceiver;

    beforeEach(async () => {
      receiver = await startWebhookReceiver(202);
    });
    afterEach(() => receiver.close());

    it('delivers a signed create event for the task branch and exits 0', async () => {
      const { code, stdout } = await runCli([TASK_ID, 'coding'], { APP_URL: receiver.url, GITHUB_WEBHOOK_SECRET: SECRET });

      expect(code).toBe(0);
      expect(receiver.requests).toHaveLength(1);
      const [req] = receiver.requests;
      expect(req?.path).toBe('/api/webhooks/github');
      expect(req?.headers['x-github-event']).toBe('create');
      expect(req?.headers['x-hub-signature-256']).toBe(`sha256=${createHmac('sha256', SECRET).update(req!.rawBody).digest('hex')}`);
      expect(JSON.parse(req!.rawBody.toString('utf8'))).toMatchObject({
        ref: 'taskflow/3f2b8c1e-8d9a',
        ref_type: 'branch',
        repository: { full_name: 'acme/payments' },
      });
      const delivery = String(req?.headers['x-github-delivery']);
      expect(stdout.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^coding: .*${delivery}.*202`))]);
    });

    it('delivers a merged pull_request with the derived PR number', async () => {
      const { code } = await runCli([TASK_ID, 'merge'], {
        APP_URL: receiver.url,
        GITHUB_WEBHOOK_SECRET: SECRET,
        GITHUB_REPO: 'globex/billing',
      });

      expect(code).toBe(0);
      const body = JSON.parse(receiver.requests[0]!.rawBody.toString('utf8'));
      const prNumber = (parseInt(TASK_ID.slice(0, 4), 16) % 9000) + 1000;
      expect(receiver.requests[0]?.headers['x-github-event']).toBe('pull_request');
      expect(body).toMatchObject({
        action: 'closed',
        number: prNumber,
        repository: { full_name: 'globex/billing' },
        pull_request: { merged: true, state: 'closed', head: { ref: 'taskflow/3f2b8c1e-8d9a' } },
      });
    });

    it('plays a pull request from a fork with GITHUB_HEAD_REPO, and says when the server ignored it', async () => {
      await receiver.close();
      receiver = await startWebhookReceiver(202, { status: 'ignored', reason: 'pull request from mallory/payments, not acme/payments' });
      const { code, stdout } = await runCli([TASK_ID, 'pr-open'], {
        APP_URL: receiver.url,
        GITHUB_WEBHOOK_SECRET: SECRET,
        GITHUB_HEAD_REPO: 'mallory/payments',
      });

      expect(code).toBe(0);
      expect(JSON.parse(receiver.requests[0]!.rawBody.toString('utf8'))).toMatchObject({
        repository: { full_name: 'acme/payments' },
        pull_request: { head: { ref: 'taskflow/3f2b8c1e-8d9a', repo: { full_name: 'mallory/payments', fork: true } } },
      });
      expect(stdout).toContain('(ignored: pull request from mallory/payments, not acme/payments)');
    });

    it('says in one line that no task matched, and exits 1, when the server matched none (a mistyped id)', async () => {
      await receiver.close();
      receiver = await startWebhookReceiver(202, { status: 'queued', matched: 0 });
      const { code, stdout, stderr } = await runCli([TASK_ID, 'coding'], { APP_URL: receiver.url, GITHUB_WEBHOOK_SECRET: SECRET });
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          /^coding: no task matches branch taskflow\/3f2b8c1e-8d9a in acme\/payments at http:\/\/127\.0\.0\.1:\d+: check the task id/,
        ),
      ]);
      expect(receiver.requests).toHaveLength(1);
    });

    it('exits 0 when the server matched the task', async () => {
      await receiver.close();
      receiver = await startWebhookReceiver(202, { status: 'queued', matched: 1 });
      const { code, stdout } = await runCli([TASK_ID, 'pr-open'], { APP_URL: receiver.url, GITHUB_WEBHOOK_SECRET: SECRET });
      expect(code).toBe(0);
      expect(stdout.trim()).toMatch(/^pr-open: pull_request delivery \S+ → HTTP 202$/);
    });

    describe('without APP_URL', () => {
      let dataDir: string;
      beforeEach(() => {
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'github-sim-stack-'));
        fs.writeFileSync(path.join(dataDir, 'secrets.json'), JSON.stringify({ githubWebhookSecret: SECRET }));
      });
      afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));
      const writeStack = (url: string, supervisorPid: number) =>
        fs.writeFileSync(path.join(dataDir, 'stack.json'), JSON.stringify({ url, supervisorPid }));

      it("posts to the running local stack named by DATA_DIR's stack.json", async () => {
        writeStack(receiver.url, process.pid);
        const { code } = await runCli([TASK_ID, 'coding'], { DATA_DIR: dataDir });
        expect(code).toBe(0);
        expect(receiver.requests.map((r) => r.path)).toEqual(['/api/webhooks/github']);
      });

      it('PORT wins over the stack.json', async () => {
        writeStack('http://127.0.0.1:9', process.pid);
        const { code } = await runCli([TASK_ID, 'coding'], { DATA_DIR: dataDir, PORT: new URL(receiver.url).port });
        expect(code).toBe(0);
        expect(receiver.requests).toHaveLength(1);
      });

      it('ignores the stack.json of a stack whose supervisor is gone', async () => {
        const gone = spawnSync(process.execPath, ['-e', '']).pid;
        writeStack(receiver.url, gone);
        await runCli([TASK_ID, 'coding'], { DATA_DIR: dataDir });
        expect(receiver.requests).toEqual([]);
      });
    });

    it('exits 1 when the server rejects the delivery', async () => {
      await receiver.close();
      receiver = await startWebhookReceiver(401);
      const { code, stderr } = await runCli([TASK_ID, 'pr-open'], {
        APP_URL: receiver.url,
        GITHUB_WEBHOOK_SECRET: SECRET,
        PR_NUMBER: '42',
      });
      expect(code).toBe(1);
      expect(stderr).toContain('401');
      expect(JSON.parse(receiver.requests[0]!.rawBody.toString('utf8'))).toMatchObject({ action: 'opened', number: 42 });
    });
  });
});
