import {
  checkRunEvent,
  checkSuiteEvent,
  issueCommentEvent,
  pullRequestEvent,
  pullRequestReviewEvent,
  reviewCommentEvent,
  sendWebhook,
} from '@taskflow/github-sim';
import { FIXTURE_PASSWORD } from '@taskflow/store/testing';
import { login, openSocket, type TestSocket } from '@taskflow/testing';
import { startPipelineStack, WEBHOOK_SECRET, type PipelineStack } from '../testing/pipeline-stack';

/**
 * The whole PR story through a real server and worker: signed deliveries of every kind
 * we handle change the PR's sub-state (never the status until merge), land in the event
 * log with their seq and their GitHub actor, reach the task's room, and notify the
 * task's creator and followers in their own rooms.
 */
jest.setTimeout(120_000);

const REPO = 'acme/payments';
let stack: PipelineStack;
let alice: TestSocket;
let bob: TestSocket;
let issueNumber = 500;

beforeAll(async () => {
  stack = await startPipelineStack();
  stack.startWorker();
  alice = await openSocket(stack.url, { token: await login(stack.url, 'alice', FIXTURE_PASSWORD) });
  bob = await openSocket(stack.url, { token: await login(stack.url, 'bob', FIXTURE_PASSWORD) });
});
afterAll(async () => {
  alice?.close();
  bob?.close();
  await stack.close();
});

const hook = async (event: string, payload: object) => {
  const res = await sendWebhook(`${stack.url}/api/webhooks/github`, event, payload, { secret: WEBHOOK_SECRET });
  return { status: res.status, body: JSON.parse(res.body) as { status: string; reason?: string } };
};

async function dispatchedTask() {
  const title = `PR story ${issueNumber}`;
  const issue = ++issueNumber;
  const { id, branch } = await stack.dispatchedTask(issue, { repo: REPO, title });
  expect((await alice.request('task:join', { taskId: id })).ok).toBe(true);
  return { id, issue, branch, pr: issue + 1000 };
}

const taskEvent = (taskId: string, type: string, seq?: number) =>
  alice.waitFor(
    (e) =>
      e.event === 'task:event_added' &&
      e.payload.taskId === taskId &&
      e.payload.event.eventType === type &&
      (seq === undefined || e.payload.seq === seq),
    `${type} of ${taskId}`,
    20_000,
  );

describe('the whole PR story, live', () => {
  it('draft → ready → approved → CI failing → CI passing → comment → merged, each an event with its seq and actor', async () => {
    const t = await dispatchedTask();
    const pr = { repo: REPO, branch: t.branch, prNumber: t.pr };
    const api = await stack.asUser('bob');
    expect((await api.post(`/api/tasks/${t.id}/follow`)).body).toEqual({ following: true });

    const sentAt = Date.now();
    expect((await hook('pull_request', pullRequestEvent({ ...pr, action: 'opened', draft: true }))).body.status).toBe('queued');
    const opened = await taskEvent(t.id, 'pr_opened');
    expect(opened.payload.event.payload).toMatchObject({ status: 'pr_open', prState: 'draft', detail: { actorKind: 'github' } });
    // When the API received the delivery rides along, for the nodes' webhook → screen histogram.
    const receivedAt = Date.parse(String((opened.payload.event.payload.detail as { webhookReceivedAt?: string }).webhookReceivedAt));
    expect(receivedAt).toBeGreaterThanOrEqual(sentAt);
    expect(receivedAt).toBeLessThanOrEqual(Date.parse(opened.payload.event.createdAt));

    await hook('pull_request', pullRequestEvent({ ...pr, action: 'ready_for_review' }));
    const ready = await taskEvent(t.id, 'pr_updated', opened.payload.seq + 1);
    expect(ready.payload.event.payload).toMatchObject({ status: 'pr_open', action: 'ready_for_review', prState: 'ready' });
    // The creator and the follower hear "ready for review" in their own rooms.
    for (const s of [alice, bob]) {
      const n = await s.waitFor(
        (e) => e.event === 'notification:created' && e.payload.notification.taskId === t.id,
        'pr_ready notification',
      );
      expect(n.payload.notification).toMatchObject({ kind: 'pr_ready', seq: ready.payload.seq, readAt: null });
      expect(n.payload.unreadCount).toBeGreaterThanOrEqual(1);
    }

    await hook('pull_request_review', pullRequestReviewEvent({ ...pr, state: 'approved', reviewer: 'grace' }));
    const review = await taskEvent(t.id, 'review_submitted');
    expect(review.payload.event.payload).toMatchObject({
      outcome: 'approved',
      reviewer: 'grace',
      reviewState: 'approved',
      detail: { actor: 'grace', actorKind: 'github', webhookReceivedAt: expect.any(String) },
    });

    await hook('check_run', checkRunEvent({ ...pr, conclusion: 'failure', name: 'ci / unit' }));
    const failing = await taskEvent(t.id, 'checks_completed', review.payload.seq + 1);
    expect(failing.payload.event.payload).toMatchObject({
      checksState: 'failing',
      checkName: 'ci / unit',
      checksUrl: expect.stringMatching(/^https:\/\/github\.com\/acme\/payments\/runs\//),
    });
    await alice.waitFor(
      (e) => e.event === 'notification:created' && e.payload.notification.kind === 'ci_failed' && e.payload.notification.taskId === t.id,
      'ci_failed notification',
    );

    await hook('check_suite', checkSuiteEvent({ ...pr, conclusion: 'success', app: 'GitHub Actions' }));
    const passing = await taskEvent(t.id, 'checks_completed', failing.payload.seq + 1);
    expect(passing.payload.event.payload).toMatchObject({
      checksState: 'passing',
      checksUrl: `https://github.com/${REPO}/pull/${t.pr}/checks`,
    });

    await hook('issue_comment', issueCommentEvent({ repo: REPO, number: t.pr, body: 'Ship it!', author: 'linus', onPullRequest: true }));
    const comment = await taskEvent(t.id, 'comment_added');
    expect(comment.payload.event.payload).toMatchObject({
      on: 'pull_request',
      author: 'linus',
      body: 'Ship it!',
      url: expect.stringContaining(`/pull/${t.pr}#issuecomment-`),
    });
    await hook('pull_request_review_comment', reviewCommentEvent({ ...pr, body: 'nit: rename', author: 'grace' }));
    expect((await taskEvent(t.id, 'comment_added', comment.payload.seq + 1)).payload.event.payload).toMatchObject({
      on: 'review',
      body: 'nit: rename',
    });
    await hook('issue_comment', issueCommentEvent({ repo: REPO, number: t.issue, body: 'On the issue', author: 'ada' }));
    expect((await taskEvent(t.id, 'comment_added', comment.payload.seq + 2)).payload.event.payload).toMatchObject({
      on: 'issue',
      author: 'ada',
    });

    await hook('pull_request', pullRequestEvent({ ...pr, action: 'closed', merged: true }));
    const merged = await taskEvent(t.id, 'pr_merged');
    expect(merged.payload.event.payload).toMatchObject({ status: 'merged', prState: 'merged' });

    const body = (await api.get(`/api/tasks/${t.id}`)).body;
    expect(body).toMatchObject({ status: 'merged', prState: 'merged', reviewState: 'approved', checksState: 'passing' });
    // One gapless log: every delivery is an event with the next seq.
    expect(body.events.map((e: { seq: number }) => e.seq)).toEqual(body.events.map((_: unknown, i: number) => i + 1));
    const kinds = (await api.get('/api/notifications')).body.notifications
      .filter((n: { taskId: string }) => n.taskId === t.id)
      .map((n: { kind: string }) => n.kind);
    expect(kinds).toEqual(['merged', 'ci_failed', 'pr_ready']);
  });

  it('a closed, unmerged PR fails the task with prState closed; reopening brings it back ready', async () => {
    const t = await dispatchedTask();
    const pr = { repo: REPO, branch: t.branch, prNumber: t.pr };
    await hook('pull_request', pullRequestEvent({ ...pr, action: 'opened' }));
    await taskEvent(t.id, 'pr_opened');
    await hook('pull_request', pullRequestEvent({ ...pr, action: 'closed', merged: false }));
    expect((await taskEvent(t.id, 'pr_closed')).payload.event.payload).toMatchObject({ status: 'failed', prState: 'closed' });
    await hook('pull_request', pullRequestEvent({ ...pr, action: 'reopened' }));
    const reopened = await taskEvent(t.id, 'pr_opened', undefined);
    expect(reopened.payload.event.payload).toMatchObject({ status: 'pr_open', prState: 'ready' });
  });

  it('reviews, checks and comments from a fork, another repository or another PR change nothing', async () => {
    const t = await dispatchedTask();
    const pr = { repo: REPO, branch: t.branch, prNumber: t.pr };
    await hook('pull_request', pullRequestEvent({ ...pr, action: 'opened' }));
    const opened = await taskEvent(t.id, 'pr_opened');
    const fork = { ...pr, headRepo: 'mallory/payments' };
    expect((await hook('pull_request_review', pullRequestReviewEvent({ ...fork, state: 'approved' }))).body).toMatchObject({
      status: 'ignored',
    });
    expect((await hook('check_run', checkRunEvent({ ...fork, conclusion: 'success' }))).body).toMatchObject({ status: 'ignored' });
    expect((await hook('pull_request_review_comment', reviewCommentEvent({ ...fork, body: 'x' }))).body).toMatchObject({
      status: 'ignored',
    });
    expect((await hook('check_suite', checkSuiteEvent({ ...pr, repo: 'mallory/payments', conclusion: 'failure' }))).body).toMatchObject({
      status: 'ignored',
    });
    expect((await hook('issue_comment', issueCommentEvent({ repo: 'mallory/payments', number: t.pr, body: 'x' }))).body).toMatchObject({
      status: 'ignored',
    });
    // Same repository, but another PR from the same branch: queued, applied to nothing.
    expect(
      (await hook('pull_request_review', pullRequestReviewEvent({ ...pr, prNumber: t.pr + 1, state: 'changes_requested' }))).body.status,
    ).toBe('queued');
    // A genuine one afterwards: deliveries are applied in arrival order, so the others were handled by then.
    await hook('pull_request_review', pullRequestReviewEvent({ ...pr, state: 'commented', reviewer: 'grace' }));
    const review = await taskEvent(t.id, 'review_submitted');
    expect(review.payload.seq).toBe(opened.payload.seq + 1);
    expect(review.payload.event.payload).toMatchObject({ outcome: 'commented', reviewState: null });
  });
});
