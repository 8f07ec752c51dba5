import { issueCommentEvent, reviewCommentEvent } from '@taskflow/github-sim';
import { MAX_COMMENT_BODY_CHARS, storedCommentBody } from './comment-body';
import type { WebhookScope } from '@taskflow/events';
import { normalizeDelivery } from './github-payload';

const scope: WebhookScope = { repos: ['acme/payments'], webHost: 'github.com' };
const repo = 'acme/payments';

describe('comment bodies from GitHub are bounded before they reach a timeline', () => {
  it('keeps a short body as it is, and a missing one as empty', () => {
    expect(storedCommentBody('looks good')).toBe('looks good');
    expect(storedCommentBody(null)).toBe('');
  });

  it('cuts a huge body to the limit, with an ellipsis, never inside a character', () => {
    const cut = storedCommentBody('😀'.repeat(100_000));
    expect(Array.from(cut)).toHaveLength(MAX_COMMENT_BODY_CHARS);
    expect(cut.endsWith('😀…')).toBe(true);
  });

  it.each([
    ['issue_comment', issueCommentEvent({ repo, number: 7, body: 'x'.repeat(1_000_000) })],
    [
      'pull_request_review_comment',
      reviewCommentEvent({ repo, branch: 'taskflow/3f2b8c1e-8d9a', prNumber: 7, body: 'x'.repeat(1_000_000) }),
    ],
  ] as const)('normalises a %s with a 1 MB body into a job holding at most the limit', (event, payload) => {
    const out = normalizeDelivery(event, 'd', payload, scope) as { job: { body: string } };
    expect(out.job.body.length).toBe(MAX_COMMENT_BODY_CHARS);
  });
});
