import type { WebhookJobData } from '@taskflow/events';
import { isGithubWebUrl, sameRepo } from '@taskflow/platform';

export interface GithubScope {
  webHost: string;
}

/**
 * Why a delivery must not touch any task, or undefined when it may. The API
 * already drops these; checking again here covers jobs queued by an older
 * node and keeps the rule next to the code that moves tasks. Whose repository
 * it is, is checked by the task lookup: only a task of the org owning the
 * repository (org_repos) is found.
 */
export function outsideScope(job: WebhookJobData, scope: GithubScope): string | undefined {
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
