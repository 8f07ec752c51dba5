import { randomBytes } from 'node:crypto';
import webhookExamples from '@octokit/webhooks-examples';

/** Payloads are GitHub's own examples with a few fields replaced, so only those fields are typed. */
export type JsonObject = Record<string, unknown>;

export interface CreateBranchInput {
  /** `owner/name`, e.g. `acme/payments`. */
  repo: string;
  branch: string;
}

export type PullRequestAction = 'opened' | 'reopened' | 'ready_for_review' | 'closed' | 'converted_to_draft' | 'synchronize';

export interface PullRequestInput {
  /** `owner/name`, e.g. `acme/payments`. */
  repo: string;
  /** The PR's head branch. */
  branch: string;
  prNumber: number;
  action: PullRequestAction;
  /** Only meaningful with `action: 'closed'`. */
  merged?: boolean;
  title?: string;
  body?: string | null;
  /** Defaults to a random sha when merged. */
  mergeCommitSha?: string;
  /** ISO time; defaults to now when merged. */
  mergedAt?: string;
  /**
   * `owner/name` the head branch lives in: by default `repo`; another one makes
   * a PR from a fork, and null is what GitHub sends once the fork was deleted.
   */
  headRepo?: string | null;
  /** Whether the PR is a draft (default: only after `converted_to_draft`). */
  draft?: boolean;
}

export interface RepositoryPayload extends JsonObject {
  name: string;
  full_name: string;
  owner: JsonObject & { login: string };
}

export interface CreateEventPayload extends JsonObject {
  ref: string;
  ref_type: 'branch';
  repository: RepositoryPayload;
  sender: JsonObject;
}

export interface PullRequestPayload extends JsonObject {
  number: number;
  html_url: string;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  merged: boolean;
  merge_commit_sha: string | null;
  merged_at: string | null;
  closed_at: string | null;
  user: JsonObject;
  head: JsonObject & { ref: string; label: string; repo: RepositoryPayload | null };
  base: JsonObject & { ref: string; repo: RepositoryPayload };
}

export interface PullRequestEventPayload extends JsonObject {
  action: PullRequestAction;
  number: number;
  pull_request: PullRequestPayload;
  repository: RepositoryPayload;
  sender: JsonObject;
}

interface ExampleSet {
  name: string;
  examples: JsonObject[];
}

// The package's typings describe every event precisely; these builders only need the raw JSON.
const exampleSets = webhookExamples as unknown as readonly ExampleSet[];

/** GitHub repository names: no slashes or quotes, so they are also safe to splice into JSON text. */
const REPO_PATTERN = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

function findExample(event: string, matches: (example: JsonObject) => boolean): JsonObject {
  const example = exampleSets.find((set) => set.name === event)?.examples.find(matches);
  if (!example) throw new Error(`@octokit/webhooks-examples has no matching "${event}" example`);
  return example;
}

function parseRepo(repo: string): { owner: string; name: string } {
  if (!REPO_PATTERN.test(repo)) throw new TypeError(`Repository must look like "owner/name", got "${repo}"`);
  const [owner = '', name = ''] = repo.split('/');
  return { owner, name };
}

/**
 * Deep-clones an example with its repository renamed. Rewriting the full name in the JSON text
 * also fixes the dozens of API and HTML URLs that embed it, so the payload stays self-consistent.
 */
function cloneForRepo<T>(example: JsonObject, repo: string): T {
  const exampleRepo = (example.repository as RepositoryPayload).full_name;
  return JSON.parse(JSON.stringify(example).split(exampleRepo).join(repo)) as T;
}

function setRepoFields(target: RepositoryPayload, repo: string): void {
  const { owner, name } = parseRepo(repo);
  target.full_name = repo;
  target.name = name;
  target.owner.login = owner;
}

/** GitHub timestamps carry whole seconds. */
function githubTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A `create` delivery announcing a new branch. */
export function createBranchEvent({ repo, branch }: CreateBranchInput): CreateEventPayload {
  parseRepo(repo);
  const payload = cloneForRepo<CreateEventPayload>(
    findExample('create', () => true),
    repo,
  );
  payload.ref = branch;
  payload.ref_type = 'branch';
  setRepoFields(payload.repository, repo);
  return payload;
}

/** A `pull_request` delivery for the PR from `branch`, based on GitHub's example for the same action. */
export function pullRequestEvent(input: PullRequestInput): PullRequestEventPayload {
  const { repo, branch, prNumber, action } = input;
  parseRepo(repo);
  const headRepo = input.headRepo === undefined ? repo : input.headRepo;
  const headOwner = headRepo === null ? 'ghost' : parseRepo(headRepo).owner;
  const payload = cloneForRepo<PullRequestEventPayload>(
    findExample('pull_request', (example) => example.action === action),
    repo,
  );
  const pr = payload.pull_request;
  const closed = action === 'closed';
  const merged = closed && input.merged === true;
  const now = githubTime(new Date());
  const mergedAt = merged ? (input.mergedAt ?? now) : null;

  payload.action = action;
  payload.number = prNumber;
  setRepoFields(payload.repository, repo);
  setRepoFields(pr.base.repo, repo);
  if (headRepo === null) pr.head.repo = null;
  else if (pr.head.repo) {
    setRepoFields(pr.head.repo, headRepo);
    pr.head.repo.fork = headRepo !== repo;
  }

  // The example's PR URLs name its own number; keep the commonly read ones in step.
  pr.number = prNumber;
  pr.url = `https://api.github.com/repos/${repo}/pulls/${prNumber}`;
  pr.html_url = `https://github.com/${repo}/pull/${prNumber}`;
  pr.diff_url = `${pr.html_url}.diff`;
  pr.patch_url = `${pr.html_url}.patch`;
  pr.issue_url = `https://api.github.com/repos/${repo}/issues/${prNumber}`;
  if (input.title !== undefined) pr.title = input.title;
  if (input.body !== undefined) pr.body = input.body;
  pr.head.ref = branch;
  pr.head.label = `${headOwner}:${branch}`;
  pr.state = closed ? 'closed' : 'open';
  pr.draft = input.draft ?? action === 'converted_to_draft';
  pr.merged = merged;
  // Unmerged PRs only have a provisional test-merge sha, which consumers must not mistake for a merge.
  pr.merge_commit_sha = merged ? (input.mergeCommitSha ?? randomBytes(20).toString('hex')) : (input.mergeCommitSha ?? null);
  pr.merged_at = mergedAt;
  pr.closed_at = closed ? (mergedAt ?? now) : null;
  pr.merged_by = merged ? structuredClone(payload.sender) : null;
  pr.updated_at = mergedAt ?? now;
  return payload;
}
