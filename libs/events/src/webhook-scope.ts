import type { WebhookJobData } from './queues';

/**
 * Which deliveries may touch tasks: those of our repositories, linking to our GitHub host. The server decides at
 * the door (both fields); the worker, checking a queued job again, needs only the host (whose repository it is, the
 * task lookup decides: only a task of the org owning the repository, org_repos, is found).
 */
export interface WebhookScope {
  /** The delivery's repository when an org owns it (org_repos), spelled as registered (tasks store these); else none. */
  repos: readonly string[];
  /** Host of GitHub's web pages (github.com, or the Enterprise host). */
  webHost: string;
}

/** True for an `https://` URL on exactly `host` (no credentials): safe to show as a link to GitHub. */
export function isGithubWebUrl(url: string, host: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === 'https:' && parsed.host === host.toLowerCase() && !parsed.username && !parsed.password;
}

/** GitHub names are case-insensitive: `Acme/Payments` is `acme/payments`. */
export function sameRepo(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * Why a delivery must not touch any task, or undefined when it may. The API already drops these; the worker
 * checks again before it moves a task, which covers jobs queued by an older node.
 */
export function outsideScope(job: WebhookJobData, scope: Pick<WebhookScope, 'webHost'>): string | undefined {
  if (job.kind === 'pull_request_review' && !sameRepo(job.headRepo, job.repo))
    return `review of a pull request from ${job.headRepo}, not ${job.repo}`;
  if (job.kind !== 'pull_request' && job.kind !== 'branch_created') {
    return isGithubWebUrl(job.url, scope.webHost) ? undefined : `link is not an https URL on ${scope.webHost}`;
  }
  if (job.kind !== 'pull_request') return undefined;
  // A job without headRepo predates the check: its origin is unknown, so it is treated like a fork.
  if (!job.headRepo || !sameRepo(job.headRepo, job.repo))
    return `pull request from ${job.headRepo ?? 'an unknown repository'}, not ${job.repo}`;
  if (!isGithubWebUrl(job.prUrl, scope.webHost)) return `PR URL is not an https URL on ${scope.webHost}`;
  return undefined;
}
