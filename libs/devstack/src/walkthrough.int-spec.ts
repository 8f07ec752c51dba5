import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TASK_STATUSES } from '@taskflow/events';
import { spawnTestProcess } from '@taskflow/testing';
import { REPO_ROOT } from './config';
import { waitFor } from './net';
import { spawnStack, type SpawnedCluster } from './testing/cluster-harness';

/**
 * The walkthrough's block (docs/walkthrough.md), pasted as is: the test takes the fenced block
 * from the doc itself, starts the product as `npm start` does (the bootstrap, on
 * a free port other than 3000, with its own DATA_DIR) and runs the block with
 * `bash -euo pipefail` from the repository root, with only PORT and DATA_DIR set, as a user
 * of another port would. Each status the block prints must be the one its comment promises.
 */
const BLOCK_BUDGET_MS = 120_000; // the block took 7.5 s at load 2, 22-26 s at load 10-14 (three tsx starts of the simulator)
jest.setTimeout(330_000); // the stack's start (up to 150 s) + the block's budget + its stop

const WALKTHROUGH = 'docs/walkthrough.md';
const FLOW = ['received', 'needs_clarification', 'analyzing', 'dispatched', 'coding', 'pr_open', 'merged'];

/** The doc's first fenced ```sh block. */
function walkthroughBlock(): string {
  const doc = fs.readFileSync(path.join(REPO_ROOT, WALKTHROUGH), 'utf8');
  const block = /^```sh\n([\s\S]*?)^```$/m.exec(doc)?.[1];
  expect(block).toBeDefined();
  return block!;
}

/** Statuses the block's comments promise, in order: `# → merged` (a word after the arrow). */
function promisedStatuses(block: string): string[] {
  return [...block.matchAll(/#\s*→\s*([a-z_]+)/g)].map((m) => m[1]!);
}

interface BlockRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runBlock(script: string, env: NodeJS.ProcessEnv): Promise<BlockRun> {
  const started = Date.now();
  // Own process group, so a block stuck past its budget is ended with everything it started (npm, the simulator).
  const block = spawnTestProcess('bash', ['-euo', 'pipefail', '-c', script], {
    name: 'the walkthrough block',
    deadlineMs: BLOCK_BUDGET_MS + 30_000,
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { proc, exited } = block;
  return waitFor(
    'the walkthrough block to finish',
    async () => proc.exitCode !== null || proc.signalCode !== null || undefined,
    BLOCK_BUDGET_MS,
  )
    .then(async () => ({ code: await exited, stdout: block.stdout(), stderr: block.stderr(), ms: Date.now() - started }))
    .catch((err: Error) => {
      process.kill(-proc.pid!, 'SIGKILL');
      throw new Error(`${err.message}\nstdout:\n${block.stdout()}\nstderr:\n${block.stderr()}`);
    });
}

let dataDir: string;
let stack: SpawnedCluster | undefined;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-readme-'));
});

afterAll(async () => {
  // After a failure, leave nothing running (a no-op once the test stopped it).
  await stack?.stop();
  // As root the database lives outside DATA_DIR (postgres-location.ts): remove it with it.
  const pgLink = path.join(dataDir, 'postgres');
  if (fs.lstatSync(pgLink, { throwIfNoEntry: false })?.isSymbolicLink())
    fs.rmSync(path.dirname(fs.realpathSync(pgLink)), { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it('the walkthrough (docs/walkthrough.md) runs as pasted on another port and prints the statuses it promises, ending merged', async () => {
  const block = walkthroughBlock();
  // What the doc promises is the whole pipeline, in the order the product goes through it.
  expect(promisedStatuses(block)).toEqual(FLOW);

  // Nothing but what a user's shell has: no seeded secrets or URLs from the test environment.
  stack = await spawnStack('start', dataDir, { DATABASE_URL: undefined, SEED_DEMO: undefined });
  const port = Number(new URL(stack.url).port);
  expect(port).not.toBe(3000);

  // FORCE_COLOR as a terminal may set it: `node -p` colours numbers then, and the block must still work.
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, FORCE_COLOR: '1' };
  for (const k of ['APP_URL', 'GITHUB_WEBHOOK_SECRET', 'GITHUB_REPO', 'GITHUB_HEAD_REPO', 'PR_NUMBER', 'DATABASE_URL', 'REDIS_URL'])
    delete env[k];
  // The block as it stands, then one line of the test's own: the id the block extracted.
  const run = await runBlock(`${block}\necho "walkthrough-task-id=$ID"\n`, env);
  console.log(`walkthrough: ${(run.ms / 1000).toFixed(1)} s`);
  expect({ code: run.code, output: run.code === 0 ? '' : `${run.stdout}\n${run.stderr}` }).toEqual({ code: 0, output: '' });

  const lines = run.stdout.split('\n').map((l) => l.trim());
  const printed = lines.filter((l) => (TASK_STATUSES as readonly string[]).includes(l));
  expect(printed).toEqual(FLOW);
  // The clarification questions are shown before they are answered.
  expect(run.stdout).toMatch(/needs_clarification\n[^\n]*\?\n[\s\S]*\nanalyzing\n/);

  // The task as the API has it afterwards: merged, with the whole pipeline on its timeline.
  const id = /^walkthrough-task-id=([0-9a-f-]{36})$/m.exec(run.stdout)?.[1];
  expect(id).toBeDefined();
  const login = await fetch(`${stack.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'taskflow' }),
  });
  const { token } = (await login.json()) as { token: string };
  const res = await fetch(`${stack.url}/api/tasks/${id}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  const task = (await res.json()) as { status: string; prState: string | null; events: Array<{ eventType: string }> };
  expect({ status: task.status, prState: task.prState }).toEqual({ status: 'merged', prState: 'merged' });
  expect(task.events.map((e) => e.eventType)).toEqual(
    expect.arrayContaining(['created', 'clarification_needed', 'clarified', 'dispatched', 'coding', 'pr_opened', 'pr_merged']),
  );
  expect(await stack.stop()).toBe(0);
});
