import type { WebhookJobData } from './queues';
import { isGithubWebUrl, outsideScope, sameRepo } from './webhook-scope';

type PullRequestJob = Extract<WebhookJobData, { kind: 'pull_request' }>;

// Whose repository a delivery is, the task lookup decides (org_repos; foreign-deliveries.int-spec.ts).
const scope = { webHost: 'github.com' };

const pr = (overrides: Partial<PullRequestJob> = {}): PullRequestJob => ({
  deliveryId: 'd-1',
  kind: 'pull_request',
  action: 'opened',
  repo: 'acme/payments',
  headRepo: 'acme/payments',
  branch: 'taskflow/00000000-0000',
  issueRefs: [],
  prNumber: 7,
  prUrl: 'https://github.com/acme/payments/pull/7',
  prTitle: 'Fix',
  merged: false,
  mergeCommitSha: null,
  mergedAt: null,
  ...overrides,
});

describe('outsideScope', () => {
  it('lets a pull request of a repository from that repository through', () => {
    expect(outsideScope(pr(), scope)).toBeUndefined();
    expect(outsideScope(pr({ repo: 'Acme/Payments', headRepo: 'acme/payments' }), scope)).toBeUndefined();
  });

  it('lets a branch created in a repository through', () => {
    expect(outsideScope({ deliveryId: 'd', kind: 'branch_created', repo: 'acme/web', branch: 'b' }, scope)).toBeUndefined();
  });

  it('stops a pull request from a fork', () => {
    expect(outsideScope(pr({ headRepo: 'mallory/payments' }), scope)).toMatch(/from mallory\/payments/);
  });

  it('stops a pull request job that does not say where it came from', () => {
    const { headRepo: _omit, ...legacy } = pr();
    expect(outsideScope(legacy as PullRequestJob, scope)).toMatch(/unknown repository/);
  });

  it.each(['http://github.com/acme/payments/pull/7', 'https://evil.example/acme/payments/pull/7', 'javascript:alert(1)'])(
    'stops a PR linking to %s',
    (prUrl) => {
      expect(outsideScope(pr({ prUrl }), scope)).toMatch(/https URL on github.com/);
    },
  );
});

describe('isGithubWebUrl', () => {
  it('accepts an https URL on the host', () => {
    expect(isGithubWebUrl('https://github.com/acme/payments/pull/7', 'github.com')).toBe(true);
    expect(isGithubWebUrl('https://GitHub.com/acme/payments/pull/7', 'github.com')).toBe(true);
  });

  it.each([
    'http://github.com/acme/payments/pull/7',
    'javascript:alert(1)//github.com',
    'https://github.com.evil.example/acme/payments/pull/7',
    'https://evil.example/github.com/acme/payments/pull/7',
    'https://user:pw@github.com/acme/payments/pull/7',
    'https://github.com:444/acme/payments/pull/7',
    '//github.com/acme/payments/pull/7',
    'not a url',
    '',
  ])('rejects %j', (url) => {
    expect(isGithubWebUrl(url, 'github.com')).toBe(false);
  });
});

describe('sameRepo', () => {
  it('ignores case only', () => {
    expect(sameRepo('Acme/Payments', 'acme/payments')).toBe(true);
    expect(sameRepo('mallory/payments', 'acme/payments')).toBe(false);
  });
});
