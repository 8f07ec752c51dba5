import { createBranchEvent, pullRequestEvent } from '@taskflow/github-sim';
import type { WebhookScope } from '@taskflow/events';
import { normalizeDelivery } from './github-payload';

const scope: WebhookScope = { repos: ['acme/payments', 'acme/web'], webHost: 'github.com' };
const repo = 'acme/payments';
const branch = 'taskflow/3f2b8c1e-8d9a';

const pr = (overrides: Partial<Parameters<typeof pullRequestEvent>[0]> = {}) =>
  pullRequestEvent({ repo, branch, prNumber: 7, action: 'opened', title: 'Fix', body: 'Closes #12', ...overrides });

describe('normalizeDelivery: only our repositories move tasks', () => {
  it('makes a job of a pull request from a branch of the repository itself', () => {
    const n = normalizeDelivery('pull_request', 'd1', pr(), scope);
    expect(n).toMatchObject({
      kind: 'job',
      job: { repo, headRepo: repo, branch, issueRefs: [12], prUrl: 'https://github.com/acme/payments/pull/7' },
    });
  });

  it.each(['opened', 'closed'] as const)('ignores a pull request %s from a fork, whatever its branch is called', (action) => {
    const n = normalizeDelivery('pull_request', 'd2', pr({ action, headRepo: 'mallory/payments', prNumber: 666 }), scope);
    expect(n).toEqual({ kind: 'ignored', code: 'fork', reason: 'pull request from mallory/payments, not acme/payments' });
  });

  it('ignores issue references in a pull request from a fork', () => {
    const n = normalizeDelivery('pull_request', 'd3', pr({ branch: 'patch-1', body: 'Closes #12', headRepo: 'mallory/payments' }), scope);
    expect(n).toMatchObject({ kind: 'ignored', code: 'fork' });
  });

  it('ignores a pull request whose head repository was deleted (head.repo null)', () => {
    expect(normalizeDelivery('pull_request', 'd4', pr({ action: 'closed', headRepo: null }), scope)).toMatchObject({
      kind: 'ignored',
      code: 'fork',
    });
  });

  it('ignores a pull request that does not say where its head is', () => {
    const payload = pr();
    delete (payload.pull_request.head as { repo?: unknown }).repo;
    expect(normalizeDelivery('pull_request', 'd5', payload, scope)).toMatchObject({ kind: 'ignored', code: 'fork' });
  });

  it('ignores a pull request in a repository that is not configured', () => {
    const n = normalizeDelivery('pull_request', 'd6', pr({ repo: 'mallory/payments', headRepo: 'mallory/payments' }), scope);
    expect(n).toEqual({
      kind: 'ignored',
      code: 'repo_not_configured',
      reason: 'repository mallory/payments is not registered to any organisation',
    });
  });

  it('ignores a branch created in a repository that is not configured', () => {
    const n = normalizeDelivery('create', 'd7', createBranchEvent({ repo: 'mallory/payments', branch }), scope);
    expect(n).toMatchObject({ kind: 'ignored', code: 'repo_not_configured' });
  });

  it('spells the repository as configured when GitHub capitalises it differently', () => {
    const n = normalizeDelivery('create', 'd8', createBranchEvent({ repo: 'Acme/Payments', branch }), scope);
    expect(n).toEqual({ kind: 'job', job: { deliveryId: 'd8', kind: 'branch_created', repo, branch } });
  });

  it.each([
    ['http, not https', 'http://github.com/acme/payments/pull/7'],
    ['another host', 'https://evil.example/acme/payments/pull/7'],
    ['a look-alike host', 'https://github.com.evil.example/acme/payments/pull/7'],
    ['a script URL', 'javascript:alert(document.cookie)'],
  ])('ignores a pull request whose html_url is %s', (_case, htmlUrl) => {
    const payload = pr();
    payload.pull_request.html_url = htmlUrl;
    expect(normalizeDelivery('pull_request', 'd9', payload, scope)).toMatchObject({ kind: 'ignored', code: 'foreign_url' });
  });

  it('accepts links on a GitHub Enterprise host when that is the configured one', () => {
    const payload = pr();
    payload.pull_request.html_url = 'https://ghe.example/acme/payments/pull/7';
    expect(normalizeDelivery('pull_request', 'd10', payload, { ...scope, webHost: 'ghe.example' })).toMatchObject({ kind: 'job' });
    expect(normalizeDelivery('pull_request', 'd11', pr(), { ...scope, webHost: 'ghe.example' })).toMatchObject({
      kind: 'ignored',
      code: 'foreign_url',
    });
  });

  it.each(['toString', '__proto__', 'constructor'])('ignores the event name %j as an unknown event', (event) => {
    expect(normalizeDelivery(event, 'd12', pr(), scope)).toEqual({ kind: 'ignored', code: 'event', reason: `event ${event}` });
  });
});
