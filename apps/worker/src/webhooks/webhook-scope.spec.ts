import type { WebhookJobData } from '@taskflow/events';
import { outsideScope } from './webhook-scope';

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
