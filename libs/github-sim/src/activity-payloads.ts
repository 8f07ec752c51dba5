import { randomBytes } from 'node:crypto';
import webhookExamples from '@octokit/webhooks-examples';
import type { JsonObject } from './payloads';

/**
 * What happens on a task's PR after it opened: reviews, CI results and comments, built
 * from GitHub's own examples with the repository, PR and branch replaced.
 */
interface ExampleSet {
  name: string;
  examples: JsonObject[];
}
const exampleSets = webhookExamples as unknown as readonly ExampleSet[];

function example(event: string, action: string): JsonObject {
  const found = exampleSets.find((set) => set.name === event)?.examples.find((e) => e.action === action);
  if (!found) throw new Error(`@octokit/webhooks-examples has no "${event}" ${action} example`);
  return structuredClone(found);
}

const REPO_PATTERN = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
function checkRepo(repo: string): void {
  if (!REPO_PATTERN.test(repo)) throw new TypeError(`Repository must look like "owner/name", got "${repo}"`);
}

function setRepository(payload: JsonObject, repo: string): void {
  const [owner = '', name = ''] = repo.split('/');
  const r = payload.repository as JsonObject & { owner: JsonObject };
  Object.assign(r, { full_name: repo, name, html_url: `https://github.com/${repo}`, url: `https://api.github.com/repos/${repo}` });
  r.owner.login = owner;
}

function setSender(payload: JsonObject, login: string): void {
  (payload.sender as JsonObject).login = login;
}

export interface PrActivityInput {
  repo: string;
  branch: string;
  prNumber: number;
  /** `owner/name` the PR's head lives in (default `repo`; another one plays a fork). */
  headRepo?: string | null;
}

/** A PR as pull_request_review(_comment) carries it. */
function setPullRequest(payload: JsonObject, input: PrActivityInput): void {
  const headRepo = input.headRepo === undefined ? input.repo : input.headRepo;
  const pr = payload.pull_request as JsonObject & {
    head: JsonObject & { repo: JsonObject | null };
    base: JsonObject & { repo: JsonObject };
  };
  pr.number = input.prNumber;
  pr.html_url = `https://github.com/${input.repo}/pull/${input.prNumber}`;
  pr.url = `https://api.github.com/repos/${input.repo}/pulls/${input.prNumber}`;
  pr.head.ref = input.branch;
  pr.head.repo =
    headRepo === null ? null : { ...pr.head.repo, full_name: headRepo, name: headRepo.split('/')[1], fork: headRepo !== input.repo };
  pr.base.repo = { ...pr.base.repo, full_name: input.repo, name: input.repo.split('/')[1] };
}

export type ReviewOutcome = 'approved' | 'changes_requested' | 'commented';

/** A `pull_request_review` submitted on the PR. */
export function pullRequestReviewEvent(input: PrActivityInput & { state: ReviewOutcome; reviewer?: string }): JsonObject {
  checkRepo(input.repo);
  const payload = example('pull_request_review', 'submitted');
  setRepository(payload, input.repo);
  setPullRequest(payload, input);
  const reviewer = input.reviewer ?? 'octo-reviewer';
  const review = payload.review as JsonObject & { user: JsonObject };
  review.state = input.state;
  review.html_url = `https://github.com/${input.repo}/pull/${input.prNumber}#pullrequestreview-${Date.now()}`;
  review.user.login = reviewer;
  setSender(payload, reviewer);
  return payload;
}

export type CheckConclusion = 'success' | 'failure' | 'neutral' | 'cancelled' | 'timed_out' | 'action_required' | 'skipped' | 'stale';

function checkPrs(input: PrActivityInput): JsonObject[] {
  const headRepo = input.headRepo === undefined ? input.repo : input.headRepo;
  // GitHub lists no pull request for a check on a fork's head.
  if (headRepo !== input.repo) return [];
  const repoRef = { url: `https://api.github.com/repos/${input.repo}`, name: input.repo.split('/')[1] };
  return [
    {
      url: `https://api.github.com/repos/${input.repo}/pulls/${input.prNumber}`,
      number: input.prNumber,
      head: { ref: input.branch, sha: randomBytes(20).toString('hex'), repo: repoRef },
      base: { ref: 'main', repo: repoRef },
    },
  ];
}

/** A `check_suite` completed on the PR's head. */
export function checkSuiteEvent(input: PrActivityInput & { conclusion: CheckConclusion; app?: string }): JsonObject {
  checkRepo(input.repo);
  const payload = example('check_suite', 'completed');
  setRepository(payload, input.repo);
  const suite = payload.check_suite as JsonObject & { app: JsonObject };
  suite.conclusion = input.conclusion;
  suite.status = 'completed';
  suite.head_branch = input.branch;
  suite.pull_requests = checkPrs(input);
  if (input.app) suite.app.name = input.app;
  return payload;
}

/** A `check_run` completed on the PR's head, with its own link. */
export function checkRunEvent(input: PrActivityInput & { conclusion: CheckConclusion; name?: string }): JsonObject {
  checkRepo(input.repo);
  const payload = example('check_run', 'completed');
  setRepository(payload, input.repo);
  const run = payload.check_run as JsonObject & { check_suite: JsonObject };
  run.name = input.name ?? 'ci / test';
  run.conclusion = input.conclusion;
  run.status = 'completed';
  run.html_url = `https://github.com/${input.repo}/runs/${Math.floor(Math.random() * 1e9)}`;
  run.check_suite.head_branch = input.branch;
  run.pull_requests = checkPrs(input);
  return payload;
}

/** An `issue_comment` created on the task's issue, or on its PR with `onPullRequest`. */
export function issueCommentEvent(input: {
  repo: string;
  number: number;
  body: string;
  author?: string;
  onPullRequest?: boolean;
}): JsonObject {
  checkRepo(input.repo);
  const payload = example('issue_comment', 'created');
  setRepository(payload, input.repo);
  const issue = payload.issue as JsonObject;
  const kind = input.onPullRequest ? 'pull' : 'issues';
  issue.number = input.number;
  issue.html_url = `https://github.com/${input.repo}/${kind}/${input.number}`;
  if (input.onPullRequest) issue.pull_request = { url: `https://api.github.com/repos/${input.repo}/pulls/${input.number}` };
  else delete issue.pull_request;
  const author = input.author ?? 'octo-commenter';
  const comment = payload.comment as JsonObject & { user: JsonObject };
  comment.body = input.body;
  comment.html_url = `${issue.html_url as string}#issuecomment-${Date.now()}`;
  comment.user.login = author;
  setSender(payload, author);
  return payload;
}

/** A `pull_request_review_comment` created on a line of the PR. */
export function reviewCommentEvent(input: PrActivityInput & { body: string; author?: string }): JsonObject {
  checkRepo(input.repo);
  const payload = example('pull_request_review_comment', 'created');
  setRepository(payload, input.repo);
  setPullRequest(payload, input);
  const author = input.author ?? 'octo-reviewer';
  const comment = payload.comment as JsonObject & { user: JsonObject };
  comment.body = input.body;
  comment.html_url = `https://github.com/${input.repo}/pull/${input.prNumber}#discussion_r${Date.now()}`;
  comment.user.login = author;
  setSender(payload, author);
  return payload;
}
