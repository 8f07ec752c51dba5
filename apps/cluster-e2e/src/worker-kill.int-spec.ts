import { startFakeGitHub, type FakeIssue } from '@taskflow/testing';
import { clusterSuite, committedState, itStopsCleanly, recordMeasurements, signal, TaskAuthor, until, untilStatus } from './harness';

/**
 * A worker SIGKILLed while it creates a GitHub issue, 20 times in a row: each
 * time GitHub has created the issue and the worker dies before its answer
 * arrives. The supervisor restarts the worker, BullMQ hands the stalled job to
 * it, and every task still ends with exactly one issue.
 */
jest.setTimeout(240_000);
const KILLS = 20;
const TOKEN = 'ghp_fault-suite-token';
let holding = true;
const held: Array<() => void> = [];
const github = startFakeGitHub({
  token: TOKEN,
  // The issue exists on GitHub; the answer waits until the test has killed the worker that asked for it.
  beforeCreateReply: () => (holding ? new Promise<void>((resolve) => held.push(resolve)) : Promise.resolve()),
});
let fake: Awaited<typeof github>;
// Before the cluster starts (hooks run in the order they are declared): the workers are pointed at it.
beforeAll(async () => {
  fake = await github;
}, 10_000);
const suite = clusterSuite('worker-kill', {
  env: () => ({ GITHUB_TOKEN: TOKEN, GITHUB_API_URL: fake.url, GITHUB_WEB_URL: 'https://github.com', WORKER_CONCURRENCY: '2' }),
});
afterAll(async () => {
  holding = false;
  held.splice(0).forEach((release) => release());
  await fake?.close();
});

const marker = (taskId: string) => `taskflow-task:${taskId}:attempt-0`;

describe('a worker killed during dispatch', () => {
  it(`${KILLS} SIGKILLs in a row while issues are being created: one issue per task, clients converge`, async () => {
    const { cluster, watchers } = suite;
    const author = await TaskAuthor.as(cluster);
    const before = cluster.processes();
    const tasks: string[] = [];
    const create = async (n: number) => {
      const id = await author.create(n);
      if (!id) throw new Error(`task creation answered ${author.attempts.at(-1)?.answer}`);
      tasks.push(id);
      watchers.watch([id]);
    };
    for (let i = 0; i < 4; i++) await create(i);
    const restarts: number[] = [];
    const started = Date.now();
    let kills = 0;
    for (; kills < KILLS; kills++) {
      // A dispatch in flight: GitHub has the issue, the worker waits for the answer.
      await until('a dispatch in flight to kill', () => held.length > 0, 30_000);
      const worker = cluster.find('worker', 'worker-1');
      signal([worker.pid], 'SIGKILL');
      const killedAt = Date.now();
      held.splice(0).forEach((release) => release());
      // Keep work coming for the next round.
      await create(100 + kills);
      await until(`the supervisor to restart worker-1 after kill ${kills + 1}`, () => cluster.processes().some((p) => p.name === 'worker-1' && p.pid !== worker.pid), 20_000);
      restarts.push(Date.now() - killedAt);
    }
    holding = false;
    held.splice(0).forEach((release) => release());
    const notDispatched = await untilStatus(cluster, tasks, ['dispatched'], 90_000);
    const committed = await committedState(cluster, tasks);
    const issueNumbers = new Map((await cluster.db().query<{ id: string; n: number | null }>('SELECT id, github_issue_number AS n FROM tasks WHERE id = ANY($1::uuid[])', [tasks])).rows.map((r) => [r.id, r.n]));
    const issuesOf = (id: string): FakeIssue[] => fake.issues.filter((i) => i.body.includes(marker(id)));
    const wrongIssues = tasks
      .filter((id) => issuesOf(id).length !== 1 || issuesOf(id)[0]!.number !== issueNumbers.get(id))
      .map((id) => `${id} (${committed.get(id)?.status}): issues #${issuesOf(id).map((i) => i.number).join(', #') || 'none'} on GitHub, #${issueNumbers.get(id)} on the task`);
    let convergedMs: number | string = 'not converged';
    let convergeError: string | undefined;
    try {
      convergedMs = await watchers.converge(tasks, 45_000);
    } catch (err) {
      convergeError = (err as Error).message;
    }
    const integrity = await watchers.integrity(tasks);
    const survivors = cluster.survivors(before, [{ role: 'worker', name: 'worker-1' }]);
    console.log(
      recordMeasurements('worker-kill', {
        kills,
        tookMs: Date.now() - started,
        workerBackMs: { median: restarts.sort((a, b) => a - b)[Math.floor(restarts.length / 2)], max: Math.max(...restarts) },
        tasks: tasks.length,
        issuesCreated: fake.issues.length,
        convergedMsAfterLastKill: convergedMs,
        jobsParked: await cluster.failedJobs(),
        clients: watchers.stats(),
      }),
    );
    expect(notDispatched).toEqual([]);
    expect(wrongIssues).toEqual([]);
    expect(fake.issues.length).toBe(tasks.length);
    expect(convergeError).toBeUndefined();
    expect(integrity).toEqual([]);
    expect(survivors).toEqual([]);
  });

  itStopsCleanly(suite);
});
