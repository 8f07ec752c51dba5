import { Type, type Static } from '@sinclair/typebox';
import { isGithubWebUrl, sameRepo, validate, type WebhookJobData, type WebhookScope } from '@taskflow/events';
import type { IgnoreCode, Normalized } from './github-payload';
import { storedCommentBody } from './comment-body';

/**
 * Deliveries about a task's PR after it opened: reviews, CI results and comments. The
 * same rules as pull_request: only a repository an org owns, only a PR whose head is
 * that repository (never a fork), only links on the GitHub host.
 */
const Repository = Type.Object({ full_name: Type.String({ maxLength: 201 }) });
const Login = Type.Object({ login: Type.String({ maxLength: 100 }) });
const Head = Type.Object({ ref: Type.String({ maxLength: 255 }), repo: Type.Optional(Type.Union([Repository, Type.Null()])) });
const PrRef = Type.Object({ number: Type.Integer({ minimum: 1 }), head: Head, html_url: Type.String({ maxLength: 2048 }) });
/** A PR as listed by check suites/runs: its head repository is named by its API URL. */
const CheckPr = Type.Object({
  number: Type.Integer({ minimum: 1 }),
  head: Type.Object({ ref: Type.String({ maxLength: 255 }), repo: Type.Object({ url: Type.String({ maxLength: 2048 }) }) }),
});
const Comment = Type.Object({ html_url: Type.String({ maxLength: 2048 }), body: Type.Union([Type.String(), Type.Null()]), user: Login });

const ReviewPayload = Type.Object({
  action: Type.String(),
  repository: Repository,
  review: Type.Object({ state: Type.String(), html_url: Type.String({ maxLength: 2048 }), user: Login }),
  pull_request: PrRef,
});
const CheckSuitePayload = Type.Object({
  action: Type.String(),
  repository: Repository,
  check_suite: Type.Object({
    conclusion: Type.Union([Type.String(), Type.Null()]),
    head_branch: Type.Union([Type.String({ maxLength: 255 }), Type.Null()]),
    pull_requests: Type.Array(CheckPr, { maxItems: 100 }),
    app: Type.Optional(Type.Union([Type.Object({ name: Type.String({ maxLength: 200 }) }), Type.Null()])),
  }),
});
const CheckRunPayload = Type.Object({
  action: Type.String(),
  repository: Repository,
  check_run: Type.Object({
    name: Type.String({ maxLength: 200 }),
    conclusion: Type.Union([Type.String(), Type.Null()]),
    html_url: Type.String({ maxLength: 2048 }),
    check_suite: Type.Object({ head_branch: Type.Union([Type.String({ maxLength: 255 }), Type.Null()]) }),
    pull_requests: Type.Array(CheckPr, { maxItems: 100 }),
  }),
});
const IssueCommentPayload = Type.Object({
  action: Type.String(),
  repository: Repository,
  issue: Type.Object({ number: Type.Integer({ minimum: 1 }), pull_request: Type.Optional(Type.Unknown()) }),
  comment: Comment,
});
const ReviewCommentPayload = Type.Object({ action: Type.String(), repository: Repository, pull_request: PrRef, comment: Comment });

const ignored = (code: IgnoreCode, reason: string): Normalized => ({ kind: 'ignored', code, reason });
const invalid = (event: string, v: { issues: Array<{ path: string; message: string }> }): Normalized => ({
  kind: 'invalid',
  reason: `${event} payload: ${v.issues[0]?.path} ${v.issues[0]?.message}`,
});
const job = (j: WebhookJobData): Normalized => ({ kind: 'job', job: j });
const ourRepo = (scope: WebhookScope, fullName: string) => scope.repos.find((r) => sameRepo(r, fullName));
const notOurs = (fullName: string) => ignored('repo_not_configured', `repository ${fullName} is not registered to any organisation`);
const foreign = (scope: WebhookScope) => ignored('foreign_url', `link is not an https URL on ${scope.webHost}`);

/** CI outcomes; `neutral`/`skipped` do not fail a PR, `stale` says nothing. */
const CONCLUSIONS: Readonly<Record<string, 'passing' | 'failing'>> = {
  success: 'passing',
  neutral: 'passing',
  skipped: 'passing',
  failure: 'failing',
  timed_out: 'failing',
  cancelled: 'failing',
  action_required: 'failing',
  startup_failure: 'failing',
};
const REVIEW_STATES: Readonly<Record<string, 'approved' | 'changes_requested' | 'commented'>> = {
  approved: 'approved',
  changes_requested: 'changes_requested',
  commented: 'commented',
};

/** Same-repository PRs of a check; GitHub lists no PR from a fork, and we check the head repository again. */
function sameRepoPrs(prs: ReadonlyArray<Static<typeof CheckPr>>, repo: string): number[] {
  return prs.filter((p) => p.head.repo.url.toLowerCase().endsWith(`/repos/${repo.toLowerCase()}`)).map((p) => p.number);
}

function checkJob(
  deliveryId: string,
  scope: WebhookScope,
  c: {
    fullName: string;
    conclusion: string | null;
    branch: string | null;
    prs: Static<typeof CheckPr>[];
    name: string;
    url: (repo: string, pr: number) => string;
  },
): Normalized {
  const repo = ourRepo(scope, c.fullName);
  if (!repo) return notOurs(c.fullName);
  const conclusion = c.conclusion ? CONCLUSIONS[c.conclusion] : undefined;
  if (!conclusion || !Object.hasOwn(CONCLUSIONS, c.conclusion ?? '')) return ignored('action', `conclusion ${c.conclusion}`);
  const prNumbers = sameRepoPrs(c.prs, repo);
  if (!c.branch || prNumbers.length === 0) return ignored('fork', `check on no pull request from a branch of ${repo}`);
  const url = c.url(repo, prNumbers[0]!);
  if (!isGithubWebUrl(url, scope.webHost)) return foreign(scope);
  return job({ deliveryId, kind: 'check_completed', repo, branch: c.branch, prNumbers, checkName: c.name, conclusion, url });
}

type Normalizer = (deliveryId: string, payload: unknown, scope: WebhookScope) => Normalized;

export const ACTIVITY_NORMALIZERS: Record<string, Normalizer> = {
  pull_request_review(deliveryId, payload, scope) {
    const v = validate(ReviewPayload, payload);
    if (!v.ok) return invalid('pull_request_review', v);
    const p = v.value;
    if (p.action !== 'submitted') return ignored('action', `action ${p.action}`);
    const outcome = Object.hasOwn(REVIEW_STATES, p.review.state.toLowerCase()) ? REVIEW_STATES[p.review.state.toLowerCase()] : undefined;
    if (!outcome) return ignored('action', `review state ${p.review.state}`);
    const repo = ourRepo(scope, p.repository.full_name);
    if (!repo) return notOurs(p.repository.full_name);
    const headRepo = p.pull_request.head.repo?.full_name;
    if (!headRepo || !sameRepo(headRepo, repo))
      return ignored('fork', `review of a pull request from ${headRepo ?? 'a deleted repository'}, not ${repo}`);
    if (!isGithubWebUrl(p.review.html_url, scope.webHost)) return foreign(scope);
    return job({
      deliveryId,
      kind: 'pull_request_review',
      repo,
      headRepo: repo,
      branch: p.pull_request.head.ref,
      prNumber: p.pull_request.number,
      outcome,
      reviewer: p.review.user.login,
      url: p.review.html_url,
    });
  },
  check_suite(deliveryId, payload, scope) {
    const v = validate(CheckSuitePayload, payload);
    if (!v.ok) return invalid('check_suite', v);
    const p = v.value;
    if (p.action !== 'completed') return ignored('action', `action ${p.action}`);
    const s = p.check_suite;
    return checkJob(deliveryId, scope, {
      fullName: p.repository.full_name,
      conclusion: s.conclusion,
      branch: s.head_branch,
      prs: s.pull_requests,
      name: s.app?.name ?? 'checks',
      url: (repo, pr) => `https://${scope.webHost}/${repo}/pull/${pr}/checks`,
    });
  },
  check_run(deliveryId, payload, scope) {
    const v = validate(CheckRunPayload, payload);
    if (!v.ok) return invalid('check_run', v);
    const p = v.value;
    if (p.action !== 'completed') return ignored('action', `action ${p.action}`);
    const r = p.check_run;
    return checkJob(deliveryId, scope, {
      fullName: p.repository.full_name,
      conclusion: r.conclusion,
      branch: r.check_suite.head_branch,
      prs: r.pull_requests,
      name: r.name,
      url: () => r.html_url,
    });
  },
  issue_comment(deliveryId, payload, scope) {
    const v = validate(IssueCommentPayload, payload);
    if (!v.ok) return invalid('issue_comment', v);
    const p = v.value;
    if (p.action !== 'created') return ignored('action', `action ${p.action}`);
    const repo = ourRepo(scope, p.repository.full_name);
    if (!repo) return notOurs(p.repository.full_name);
    if (!isGithubWebUrl(p.comment.html_url, scope.webHost)) return foreign(scope);
    const on = p.issue.pull_request === undefined ? 'issue' : 'pull_request';
    return job({
      deliveryId,
      kind: 'comment',
      repo,
      on,
      number: p.issue.number,
      author: p.comment.user.login,
      body: storedCommentBody(p.comment.body),
      url: p.comment.html_url,
    });
  },
  pull_request_review_comment(deliveryId, payload, scope) {
    const v = validate(ReviewCommentPayload, payload);
    if (!v.ok) return invalid('pull_request_review_comment', v);
    const p = v.value;
    if (p.action !== 'created') return ignored('action', `action ${p.action}`);
    const repo = ourRepo(scope, p.repository.full_name);
    if (!repo) return notOurs(p.repository.full_name);
    const headRepo = p.pull_request.head.repo?.full_name;
    if (!headRepo || !sameRepo(headRepo, repo))
      return ignored('fork', `comment on a pull request from ${headRepo ?? 'a deleted repository'}, not ${repo}`);
    if (!isGithubWebUrl(p.comment.html_url, scope.webHost)) return foreign(scope);
    return job({
      deliveryId,
      kind: 'comment',
      repo,
      on: 'review',
      number: p.pull_request.number,
      author: p.comment.user.login,
      body: storedCommentBody(p.comment.body),
      url: p.comment.html_url,
    });
  },
};
