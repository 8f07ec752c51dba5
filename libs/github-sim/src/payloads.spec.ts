import { createBranchEvent, pullRequestEvent, type PullRequestAction } from './payloads';

const repo = 'acme/payments';
const branch = 'taskflow/3f2b8c1e-8d9a';
const SHA = /^[0-9a-f]{40}$/;
const GITHUB_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe('createBranchEvent', () => {
  const payload = createBranchEvent({ repo, branch });

  it('announces the branch in the given repository', () => {
    expect(payload).toMatchObject({
      ref: branch,
      ref_type: 'branch',
      repository: { full_name: repo, name: 'payments', owner: { login: 'acme' } },
    });
  });

  it("keeps the shape of GitHub's example", () => {
    expect(payload).toHaveProperty('pusher_type');
    expect(payload).toHaveProperty('master_branch');
    expect(payload.sender).toHaveProperty('login');
    expect(payload.repository).toHaveProperty('id');
    expect(payload.repository.html_url).toBe('https://github.com/acme/payments');
  });

  it('returns an independent copy each time', () => {
    const other = createBranchEvent({ repo: 'globex/billing', branch: 'other' });
    expect(payload.repository.full_name).toBe(repo);
    expect(payload.ref).toBe(branch);
    expect(other.repository.owner.login).toBe('globex');
  });

  it('rejects a repository that is not owner/name', () => {
    expect(() => createBranchEvent({ repo: 'payments', branch })).toThrow(TypeError);
  });
});

describe('pullRequestEvent', () => {
  it.each<PullRequestAction>(['opened', 'reopened', 'ready_for_review'])('builds an open PR for %s', (action) => {
    const payload = pullRequestEvent({ repo, branch, prNumber: 1234, action, title: 'Add refunds', body: 'Closes the task.' });
    expect(payload).toMatchObject({
      action,
      number: 1234,
      repository: { full_name: repo, name: 'payments', owner: { login: 'acme' } },
      pull_request: {
        number: 1234,
        html_url: 'https://github.com/acme/payments/pull/1234',
        title: 'Add refunds',
        body: 'Closes the task.',
        head: { ref: branch },
        state: 'open',
        merged: false,
        merge_commit_sha: null,
        merged_at: null,
      },
    });
  });

  it('builds a merged PR with a merge sha and time', () => {
    const { pull_request: pr } = pullRequestEvent({ repo, branch, prNumber: 7, action: 'closed', merged: true });
    expect(pr.state).toBe('closed');
    expect(pr.merged).toBe(true);
    expect(pr.merge_commit_sha).toMatch(SHA);
    expect(pr.merged_at).toMatch(GITHUB_TIME);
    expect(pr.closed_at).toBe(pr.merged_at);
  });

  it('uses the given merge sha and time', () => {
    const { pull_request: pr } = pullRequestEvent({
      repo,
      branch,
      prNumber: 7,
      action: 'closed',
      merged: true,
      mergeCommitSha: 'a'.repeat(40),
      mergedAt: '2025-01-02T03:04:05Z',
    });
    expect(pr.merge_commit_sha).toBe('a'.repeat(40));
    expect(pr.merged_at).toBe('2025-01-02T03:04:05Z');
  });

  it('builds a PR closed without merging', () => {
    const { pull_request: pr } = pullRequestEvent({ repo, branch, prNumber: 7, action: 'closed', merged: false });
    expect(pr).toMatchObject({ state: 'closed', merged: false, merged_at: null });
    expect(pr.closed_at).toMatch(GITHUB_TIME);
  });

  it('never reports an open PR as merged', () => {
    expect(pullRequestEvent({ repo, branch, prNumber: 7, action: 'opened', merged: true }).pull_request.merged).toBe(false);
  });

  it("keeps the shape of GitHub's example", () => {
    const payload = pullRequestEvent({ repo, branch, prNumber: 7, action: 'opened' });
    expect(payload.sender).toHaveProperty('login');
    expect(payload.pull_request.user).toHaveProperty('login');
    expect(payload.pull_request.base.ref).toEqual(expect.any(String));
    expect(payload.pull_request.base.repo.full_name).toBe(repo);
    expect(payload.pull_request.head.repo?.full_name).toBe(repo);
    expect(payload.pull_request.title).toEqual(expect.any(String));
    // Renaming the repository must not leave the example's one behind in URLs.
    expect(JSON.stringify(payload)).not.toContain('Codertocat/Hello-World');
  });
});

describe('pullRequestEvent from a fork', () => {
  it('names the fork as the head repository, keeping the base and the repository ours', () => {
    const payload = pullRequestEvent({ repo, branch, prNumber: 666, action: 'opened', headRepo: 'mallory/payments' });
    expect(payload.repository.full_name).toBe(repo);
    expect(payload.pull_request.base.repo.full_name).toBe(repo);
    expect(payload.pull_request.head).toMatchObject({
      ref: branch,
      label: `mallory:${branch}`,
      repo: { full_name: 'mallory/payments', name: 'payments', owner: { login: 'mallory' }, fork: true },
    });
  });

  it('is a same-repository PR by default', () => {
    const payload = pullRequestEvent({ repo, branch, prNumber: 7, action: 'opened' });
    expect(payload.pull_request.head).toMatchObject({ label: `acme:${branch}`, repo: { full_name: repo, fork: false } });
  });

  it('sends a null head repository for a deleted fork', () => {
    const payload = pullRequestEvent({ repo, branch, prNumber: 7, action: 'closed', headRepo: null });
    expect(payload.pull_request.head.repo).toBeNull();
  });

  it('rejects a head repository that is not owner/name', () => {
    expect(() => pullRequestEvent({ repo, branch, prNumber: 7, action: 'opened', headRepo: 'mallory' })).toThrow(TypeError);
  });
});
