import {
  checkRunEvent,
  checkSuiteEvent,
  issueCommentEvent,
  pullRequestEvent,
  pullRequestReviewEvent,
  reviewCommentEvent,
} from '@taskflow/github-sim';
import type { WebhookScope } from '@taskflow/events';
import { normalizeDelivery } from './github-payload';

const scope: WebhookScope = { repos: ['acme/payments'], webHost: 'github.com' };
const repo = 'acme/payments';
const branch = 'taskflow/3f2b8c1e-8d9a';
const pr = { repo, branch, prNumber: 7 };
const fork = { ...pr, headRepo: 'mallory/payments' };

describe('normalizeDelivery: PR activity (same scoping rules as pull_request)', () => {
  it.each(['converted_to_draft', 'ready_for_review', 'synchronize', 'reopened'] as const)(
    'makes a job of pull_request %s, with the draft flag and sender',
    (action) => {
      const n = normalizeDelivery('pull_request', 'd', pullRequestEvent({ ...pr, action }), scope);
      expect(n).toMatchObject({
        kind: 'job',
        job: { kind: 'pull_request', action, draft: action === 'converted_to_draft', sender: expect.any(String) },
      });
    },
  );

  it.each(['approved', 'changes_requested', 'commented'] as const)('makes a job of a %s review by its reviewer', (state) => {
    const n = normalizeDelivery('pull_request_review', 'd', pullRequestReviewEvent({ ...pr, state, reviewer: 'grace' }), scope);
    expect(n).toEqual({
      kind: 'job',
      job: {
        deliveryId: 'd',
        kind: 'pull_request_review',
        repo,
        headRepo: repo,
        branch,
        prNumber: 7,
        outcome: state,
        reviewer: 'grace',
        url: expect.stringMatching(/^https:\/\/github\.com\/acme\/payments\/pull\/7#pullrequestreview-/),
      },
    });
  });

  it.each([
    ['check_run success', 'check_run', checkRunEvent({ ...pr, conclusion: 'success', name: 'lint' }), 'passing', 'lint'],
    ['check_run failure', 'check_run', checkRunEvent({ ...pr, conclusion: 'failure', name: 'lint' }), 'failing', 'lint'],
    ['check_suite timed_out', 'check_suite', checkSuiteEvent({ ...pr, conclusion: 'timed_out', app: 'CI' }), 'failing', 'CI'],
  ] as const)('makes a job of %s with the check’s link', (_case, event, payload, conclusion, name) => {
    const n = normalizeDelivery(event, 'd', payload, scope);
    expect(n).toMatchObject({
      kind: 'job',
      job: {
        kind: 'check_completed',
        repo,
        branch,
        prNumbers: [7],
        conclusion,
        checkName: name,
        url: expect.stringMatching(/^https:\/\/github\.com\/acme\/payments\//),
      },
    });
  });

  it('makes a job of comments on the issue, on the PR and on a line of the PR', () => {
    expect(
      normalizeDelivery('issue_comment', 'd', issueCommentEvent({ repo, number: 12, body: 'hi', author: 'ada' }), scope),
    ).toMatchObject({
      kind: 'job',
      job: { kind: 'comment', on: 'issue', number: 12, author: 'ada', body: 'hi' },
    });
    expect(
      normalizeDelivery('issue_comment', 'd', issueCommentEvent({ repo, number: 7, body: 'hi', onPullRequest: true }), scope),
    ).toMatchObject({ job: { on: 'pull_request', number: 7 } });
    expect(normalizeDelivery('pull_request_review_comment', 'd', reviewCommentEvent({ ...pr, body: 'nit' }), scope)).toMatchObject({
      job: { on: 'review', number: 7, body: 'nit' },
    });
  });

  it.each([
    ['a review of a fork’s PR', 'pull_request_review', pullRequestReviewEvent({ ...fork, state: 'approved' }), 'fork'],
    ['a check on a fork’s PR (GitHub lists no PR)', 'check_run', checkRunEvent({ ...fork, conclusion: 'success' }), 'fork'],
    ['a check suite on a fork’s PR', 'check_suite', checkSuiteEvent({ ...fork, conclusion: 'failure' }), 'fork'],
    ['a line comment on a fork’s PR', 'pull_request_review_comment', reviewCommentEvent({ ...fork, body: 'x' }), 'fork'],
    [
      'a review in another repository',
      'pull_request_review',
      pullRequestReviewEvent({ ...pr, repo: 'mallory/payments', headRepo: 'mallory/payments', state: 'approved' }),
      'repo_not_configured',
    ],
    [
      'a comment in another repository',
      'issue_comment',
      issueCommentEvent({ repo: 'mallory/payments', number: 7, body: 'x' }),
      'repo_not_configured',
    ],
    ['a stale check', 'check_run', checkRunEvent({ ...pr, conclusion: 'stale' }), 'action'],
  ] as const)('ignores %s', (_case, event, payload, code) => {
    expect(normalizeDelivery(event, 'd', payload, scope)).toMatchObject({ kind: 'ignored', code });
  });

  it('ignores links off the GitHub host', () => {
    const review = pullRequestReviewEvent({ ...pr, state: 'approved' });
    (review.review as { html_url: string }).html_url = 'https://evil.example/acme/payments/pull/7';
    expect(normalizeDelivery('pull_request_review', 'd', review, scope)).toMatchObject({ kind: 'ignored', code: 'foreign_url' });
    const comment = issueCommentEvent({ repo, number: 7, body: 'x' });
    (comment.comment as { html_url: string }).html_url = 'javascript:alert(1)';
    expect(normalizeDelivery('issue_comment', 'd', comment, scope)).toMatchObject({ kind: 'ignored', code: 'foreign_url' });
    const run = checkRunEvent({ ...pr, conclusion: 'failure' });
    (run.check_run as { html_url: string }).html_url = 'http://github.com/acme/payments/runs/1';
    expect(normalizeDelivery('check_run', 'd', run, scope)).toMatchObject({ kind: 'ignored', code: 'foreign_url' });
  });

  it.each([
    ['edited comments', 'issue_comment', { ...issueCommentEvent({ repo, number: 7, body: 'x' }), action: 'edited' }],
    ['dismissed reviews', 'pull_request_review', { ...pullRequestReviewEvent({ ...pr, state: 'approved' }), action: 'dismissed' }],
    ['requested checks', 'check_suite', { ...checkSuiteEvent({ ...pr, conclusion: 'success' }), action: 'requested' }],
  ] as const)('ignores %s', (_case, event, payload) => {
    expect(normalizeDelivery(event, 'd', payload, scope)).toMatchObject({ kind: 'ignored', code: 'action' });
  });

  it('calls a malformed delivery invalid', () => {
    expect(normalizeDelivery('pull_request_review', 'd', { action: 'submitted', repository: { full_name: repo } }, scope)).toMatchObject({
      kind: 'invalid',
    });
    expect(normalizeDelivery('check_run', 'd', { action: 'completed' }, scope)).toMatchObject({ kind: 'invalid' });
  });
});
