import { sql } from 'kysely';
import { createBranchEvent, pullRequestEvent, sendWebhook } from '@taskflow/github-sim';
import { taskBranch } from '@taskflow/events';
import { eventually, startFakeGitHub, startFakeOpenAI } from '@taskflow/testing';
import { startPipelineStack, WEBHOOK_SECRET, type PipelineStack } from './testing/pipeline-stack';

/**
 * The whole pipeline through the public HTTP API, a real server process, real
 * workers, PostgreSQL and Redis: create → analyzing → needs_clarification →
 * clarify → dispatched → coding → pr_open → merged.
 */
jest.setTimeout(90_000);

let stack: PipelineStack;
// Starts a server process (up to 60 s on a busy machine, see startPipelineStack): a budget above that.
beforeAll(async () => {
  stack = await startPipelineStack();
}, 120_000);
afterAll(() => stack.close());

const hook = (event: string, payload: object, deliveryId?: string) =>
  sendWebhook(`${stack.url}/api/webhooks/github`, event, payload, { secret: WEBHOOK_SECRET, deliveryId });

async function walkToMerged(taskId: string, repo: string, prNumber: number) {
  const branch = taskBranch(taskId);
  expect((await hook('create', createBranchEvent({ repo, branch }))).status).toBe(202);
  const api = await stack.asUser('alice');
  await stack.waitForStatus(api, taskId, 'coding');
  expect((await hook('pull_request', pullRequestEvent({ repo, branch, prNumber, action: 'opened', title: 'Fix 3DS' }))).status).toBe(202);
  const open = await stack.waitForStatus(api, taskId, 'pr_open');
  expect(open).toMatchObject({ prNumber, prUrl: `https://github.com/${repo}/pull/${prNumber}`, prTitle: 'Fix 3DS' });
  expect((await hook('pull_request', pullRequestEvent({ repo, branch, prNumber, action: 'closed', merged: true }))).status).toBe(202);
  return stack.waitForStatus(api, taskId, 'merged');
}

function expectGaplessLog(task: { seq: number; events: Array<{ seq: number; eventType: string; payload: any }> }, types: string[]) {
  expect(task.events.map((e) => e.eventType)).toEqual(types);
  expect(task.events.map((e) => e.seq)).toEqual(types.map((_, i) => i + 1));
  expect(task.seq).toBe(types.length);
  for (const e of task.events) expect(e.payload.seq).toBe(e.seq);
}

describe('with the built-in analyzer and the GitHub sandbox', () => {
  let worker: ReturnType<PipelineStack['startWorker']>;
  beforeAll(() => {
    worker = stack.startWorker();
  });
  afterAll(() => worker.stop());

  it('walks a vague task through clarification to merged, committing every event to the outbox', async () => {
    const alice = await stack.asUser('alice');
    const created = await alice.post('/api/tasks', { title: 'Fix it', description: 'It is broken.' });
    expect(created.status).toBe(202);
    expect(created.body.task).toMatchObject({
      status: 'received',
      seq: 1,
      repo: 'acme/payments',
      creator: 'Alice',
      createdBy: { username: 'alice' },
    });
    const id = created.body.task.id;

    const asked = await stack.waitForStatus(alice, id, 'needs_clarification');
    expect(asked.clarificationQuestions.length).toBeGreaterThan(0);
    expect(asked.clarificationQuestions.length).toBeLessThanOrEqual(3);
    expect(asked.events.find((e: any) => e.eventType === 'clarification_needed').payload.detail.analyzer).toMatch(/built-in/);

    const answers = asked.clarificationQuestions.map((_: string, i: number) => `Answer ${i + 1}: checkout page, src/payments/3ds.ts`);
    const clarified = await alice.post(`/api/tasks/${id}/clarify`, { answers });
    expect(clarified.status).toBe(202);
    expect(clarified.body.task).toMatchObject({ status: 'analyzing', clarificationAnswers: answers });

    const dispatched = await stack.waitForStatus(alice, id, 'dispatched');
    expect(dispatched).toMatchObject({
      githubIssueNumber: expect.any(Number),
      githubIssueUrl: expect.stringMatching(/^https:\/\/sandbox\.taskflow\.invalid\/acme\/payments\/issues\/\d+$/),
      githubBranch: taskBranch(id),
      summary: expect.any(String),
      taskType: expect.any(String),
      recommendedAgent: expect.any(String),
    });
    expect(dispatched.likelyFiles).toContain('src/payments/3ds.ts');

    const merged = await walkToMerged(id, 'acme/payments', 41);
    expect(merged.mergeCommitSha).toMatch(/^[0-9a-f]{40}$/);
    expectGaplessLog(merged, [
      'created',
      'analyzing',
      'llm_response',
      'clarification_needed',
      'clarified',
      'llm_response',
      'dispatched',
      'coding',
      'pr_opened',
      'pr_merged',
    ]);

    // Every committed event went through the outbox and was handed to the broadcaster.
    const outbox = await sql<{
      n: string;
      published: string;
    }>`select count(*) as n, count(published_at) as published from task_events where task_id = ${id}`.execute(stack.f.db);
    expect(outbox.rows[0]).toEqual({ n: '10', published: '10' });
  });

  it('dispatches a clear task without questions, honouring the preferred agent', async () => {
    const alice = await stack.asUser('alice');
    const { body } = await alice.post('/api/tasks', {
      title: 'Add retry to webhook delivery',
      description:
        'Outgoing webhook deliveries in src/webhooks/deliver.ts give up after the first failure. Retry three times with backoff.',
      repo: 'acme/web',
      preferredAgent: 'copilot',
      acceptanceCriteria: ['Three retries with exponential backoff'],
    });
    const dispatched = await stack.waitForStatus(alice, body.task.id, 'dispatched');
    expect(dispatched.events.map((e: any) => e.eventType)).toEqual(['created', 'analyzing', 'llm_response', 'dispatched']);
    // The analyzer's answer is on the timeline, by the analyzer, before the dispatch that acts on it.
    expect(dispatched.events[2].payload).toMatchObject({
      status: 'analyzing',
      summary: expect.any(String),
      taskType: expect.any(String),
      detail: { actorKind: 'analyzer' },
    });
    expect(dispatched.events[3].payload).toMatchObject({ summary: dispatched.summary, recommendedAgent: dispatched.recommendedAgent });
    expect(dispatched.events[3].payload.detail).toMatchObject({ agent: 'copilot', tracker: expect.stringMatching(/sandbox/) });
    expect(dispatched.githubIssueUrl).toContain('/acme/web/issues/');
  });

  it('ends in the right state when the merge is delivered before the open', async () => {
    const alice = await stack.asUser('alice');
    const { body } = await alice.post('/api/tasks', {
      title: 'Rename the billing module',
      description: 'Refactor: rename src/billing/old.ts to src/billing/invoices.ts and update every import.',
    });
    const id = body.task.id;
    await stack.waitForStatus(alice, id, 'dispatched');
    const branch = taskBranch(id);
    await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 77, action: 'closed', merged: true }));
    const merged = await stack.waitForStatus(alice, id, 'merged');
    // The late "opened" changes nothing.
    expect((await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 77, action: 'opened' }))).status).toBe(
      202,
    );
    // Time for its job to have run, if one had been enqueued.
    await new Promise((r) => setTimeout(r, 1000));
    const after = (await alice.get(`/api/tasks/${id}`)).body;
    expect(after.status).toBe('merged');
    expect(after.seq).toBe(merged.seq);
    expectGaplessLog(after, ['created', 'analyzing', 'llm_response', 'dispatched', 'pr_opened', 'pr_merged']);
  });

  it('fails the task through task:pr_closed when the PR is closed unmerged, and revives it when reopened', async () => {
    const alice = await stack.asUser('alice');
    const { body } = await alice.post('/api/tasks', {
      title: 'Add coverage for refunds',
      description: 'Write tests for src/refunds/refund.ts covering partial refunds and currency rounding.',
    });
    const id = body.task.id;
    await stack.waitForStatus(alice, id, 'dispatched');
    const branch = taskBranch(id);
    await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 5, action: 'opened' }));
    await stack.waitForStatus(alice, id, 'pr_open');
    await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 5, action: 'closed', merged: false }));
    const failed = await stack.waitForStatus(alice, id, 'failed');
    expect(failed.errorMessage).toMatch(/closed without merging/);
    expect(failed.events.at(-1)).toMatchObject({ eventType: 'pr_closed', payload: { status: 'failed', prNumber: 5 } });
    await hook('pull_request', pullRequestEvent({ repo: 'acme/payments', branch, prNumber: 5, action: 'reopened' }));
    const reopened = await stack.waitForStatus(alice, id, 'pr_open');
    expect(reopened.errorMessage).toBeNull();
  });

  it('cancels a task waiting for clarification for good, and refuses to cancel after dispatch', async () => {
    const alice = await stack.asUser('alice');
    const vague = (await alice.post('/api/tasks', { title: 'Improve it', description: 'Make it better.' })).body.task;
    const asked = await stack.waitForStatus(alice, vague.id, 'needs_clarification');
    expect((await alice.post(`/api/tasks/${vague.id}/cancel`)).status).toBe(202);
    const cancelled = await stack.waitForStatus(alice, vague.id, 'cancelled');
    expect(cancelled.completedAt).toEqual(expect.any(String));
    const late = await alice.post(`/api/tasks/${vague.id}/clarify`, { answers: asked.clarificationQuestions.map(() => 'too late') });
    expect(late.status).toBe(409);

    const clear = (
      await alice.post('/api/tasks', {
        title: 'Add an index on invoices.customer_id',
        description: 'Invoice listing by customer is slow; add a migration with an index on invoices.customer_id.',
      })
    ).body.task;
    await stack.waitForStatus(alice, clear.id, 'dispatched');
    const refused = await alice.post(`/api/tasks/${clear.id}/cancel`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('NOT_CANCELLABLE');
    expect((await alice.get(`/api/tasks/${clear.id}`)).body.status).toBe('dispatched');
  });

  it('ignores deliveries for branches no task owns', async () => {
    const res = await hook('create', createBranchEvent({ repo: 'acme/payments', branch: 'feature/unrelated' }));
    expect(res.status).toBe(202);
    // Recorded as ignored once the worker ran it, so a redelivery is not applied later either.
    const row = await eventually('the delivery to be recorded', () =>
      stack.f.db.selectFrom('webhookDeliveries').selectAll().where('deliveryId', '=', res.deliveryId).executeTakeFirst(),
    );
    expect(row).toMatchObject({ event: 'create', outcome: 'ignored', taskId: null });
  });
});

describe('against OpenAI- and GitHub-compatible servers, through the real SDKs', () => {
  it('sends every intake field (and the Q&A on re-analysis) and creates a labelled issue', async () => {
    const llm = await startFakeOpenAI({
      apiKey: 'sk-test',
      reply: (_req, n) =>
        n === 0
          ? {
              json: {
                needsClarification: true,
                questions: ['Which card networks fail?'],
                summary: 'Card payments fail',
                taskType: 'bug-fix',
                recommendedAgent: 'codex',
                likelyFiles: [],
                suggestedCriteria: [],
              },
            }
          : {
              json: {
                needsClarification: false,
                questions: [],
                summary: 'Fix 3-D Secure for Visa',
                taskType: 'bug-fix',
                recommendedAgent: 'codex',
                likelyFiles: ['src/pay/3ds.ts'],
                suggestedCriteria: ['Visa 3DS payment succeeds'],
              },
            },
    });
    const github = await startFakeGitHub({ token: 'ghp_test' });
    const worker = stack.startWorker({
      LLM_API_KEY: 'sk-test',
      LLM_BASE_URL: llm.baseUrl,
      LLM_MODEL: 'gpt-test',
      GITHUB_TOKEN: 'ghp_test',
      GITHUB_API_URL: github.url,
    });
    try {
      const bob = await stack.asUser('bob');
      const { body } = await bob.post('/api/tasks', {
        title: 'Payments fail',
        description: 'Card payments fail at checkout since Monday.',
        taskTypeHint: 'bug-fix',
        filesHint: ['src/pay/'],
        acceptanceCriteria: ['Checkout works again'],
        priority: 'urgent',
      });
      const id = body.task.id;
      const asked = await stack.waitForStatus(bob, id, 'needs_clarification');
      expect(asked.clarificationQuestions).toEqual(['Which card networks fail?']);
      const first = JSON.parse((llm.calls()[0]!.body as any).messages[1].content);
      expect(first).toMatchObject({
        title: 'Payments fail',
        typeHint: 'bug-fix',
        filesToLookAt: ['src/pay/'],
        acceptanceCriteria: ['Checkout works again'],
        priority: 'urgent',
        repository: 'acme/payments',
        clarifications: [],
      });
      expect((llm.calls()[0]!.body as any).response_format).toEqual({ type: 'json_object' });

      await bob.post(`/api/tasks/${id}/clarify`, { answers: ['Only Visa with 3-D Secure'] });
      const dispatched = await stack.waitForStatus(bob, id, 'dispatched');
      const second = JSON.parse((llm.calls()[1]!.body as any).messages[1].content);
      expect(second.clarifications).toEqual([{ question: 'Which card networks fail?', answer: 'Only Visa with 3-D Secure' }]);

      expect(github.issues).toHaveLength(1);
      const issue = github.issues[0]!;
      expect(dispatched).toMatchObject({
        githubIssueNumber: issue.number,
        githubIssueUrl: `https://github.com/acme/payments/issues/${issue.number}`,
        summary: 'Fix 3-D Secure for Visa',
      });
      expect(issue.labels).toEqual(['ai-task', 'bug-fix', 'agent:codex']);
      expect(issue.title).toBe('Fix 3-D Secure for Visa');
      expect(issue.body).toContain(`\`${taskBranch(id)}\``);
      expect(issue.body).toContain('- [ ] Checkout works again');
      expect(issue.body).toContain('- [ ] Visa 3DS payment succeeds');
      expect(issue.body).toContain('**A:** Only Visa with 3-D Secure');
      expect(issue.body).toContain(`https://taskflow.test/tasks/${id}`);
      expect(dispatched.events.find((e: any) => e.eventType === 'dispatched').payload.detail).toMatchObject({
        analyzer: 'LLM gpt-test',
        tracker: 'GitHub',
      });
    } finally {
      await worker.stop();
      await llm.close();
      await github.close();
    }
  });

  it('retries while the LLM is down or answers garbage, then fails the task readably; a retry succeeds once it recovers', async () => {
    let healthy = false;
    const llm = await startFakeOpenAI({
      apiKey: 'sk-test',
      reply: (_req, n) =>
        healthy
          ? {
              json: {
                needsClarification: false,
                questions: [],
                summary: 'Add CSV export',
                taskType: 'feature',
                recommendedAgent: 'claude-code',
                likelyFiles: [],
                suggestedCriteria: [],
              },
            }
          : n === 0
            ? { status: 503, error: 'The server is overloaded' }
            : { json: { needsClarification: false, questions: ['a', 'b', 'c', 'd'], summary: '' } },
    });
    const worker = stack.startWorker({ LLM_API_KEY: 'sk-test', LLM_BASE_URL: llm.baseUrl });
    try {
      const carol = await stack.asUser('carol');
      const { body } = await carol.post('/api/tasks', {
        title: 'CSV export',
        description: 'Export the invoice list as CSV from the invoices page.',
      });
      const id = body.task.id;
      const failed = await stack.waitForStatus(carol, id, 'failed');
      // A stable message and a reference, never the LLM's own error text (the 503 body, the schema complaint).
      expect(failed.errorMessage).toMatch(
        /^Analysis failed after 2 attempt\(s\): the analysis service did not give a usable answer\. Reference: [0-9a-f-]{36}$/,
      );
      expect(failed.errorMessage).not.toMatch(/overloaded|expected format/);

      // Attempt 1: HTTP 503 (the SDK retries once itself), attempt 2: a malformed answer.
      expect(llm.calls().length).toBeGreaterThanOrEqual(2);

      healthy = true;
      const retried = await carol.post(`/api/tasks/${id}/retry`);
      expect(retried.status).toBe(202);
      expect(retried.body.task).toMatchObject({ status: 'received', retryCount: 1, errorMessage: null });
      const done = await stack.waitForStatus(carol, id, 'dispatched');
      expect(done.events.map((e: any) => e.eventType)).toEqual([
        'created',
        'analyzing',
        'failed',
        'retried',
        'analyzing',
        'llm_response',
        'dispatched',
      ]);
    } finally {
      await worker.stop();
      await llm.close();
    }
  });
});
