import { Octokit } from '@octokit/rest';
import { isGithubWebUrl } from '@taskflow/events';
import { endsWithMarker } from './issue-content';
import type { CreatedIssue, IssueRequest, IssueTracker } from './issue-tracker';

/** Real GitHub through Octokit (any GitHub-compatible API via GITHUB_API_URL). */
export class OctokitTracker implements IssueTracker {
  readonly label = 'GitHub';
  private readonly octokit: Octokit;
  private readonly webHost: string;
  private login: Promise<string> | undefined;

  constructor(opts: { token: string; baseUrl: string; webHost: string; timeoutMs?: number }) {
    this.octokit = new Octokit({
      auth: opts.token,
      baseUrl: opts.baseUrl,
      userAgent: 'taskflow-live',
      request: { timeout: opts.timeoutMs ?? 15_000 },
    });
    this.webHost = opts.webHost;
  }

  async ensureIssue(req: IssueRequest): Promise<CreatedIssue> {
    const [owner, repo] = req.repo.split('/') as [string, string];
    const existing = await this.findOurs(owner, repo, req);
    if (existing) return existing;
    const { data } = await this.octokit.rest.issues.create({ owner, repo, title: req.title, body: req.body, labels: req.labels });
    return this.checked(data);
  }

  /**
   * The issue an earlier run of this attempt created: labelled ai-task, updated
   * since the attempt began, opened by our token's own user, and ending with our
   * marker. The body above the marker is the task's description, which anyone
   * may fill with another task's marker, so a marker alone proves nothing.
   */
  private async findOurs(owner: string, repo: string, req: IssueRequest): Promise<CreatedIssue | undefined> {
    const login = await this.ourLogin();
    const pages = this.octokit.paginate.iterator(this.octokit.rest.issues.listForRepo, {
      owner,
      repo,
      labels: 'ai-task',
      state: 'all',
      since: req.since.toISOString(),
      per_page: 100,
    });
    let seen = 0;
    for await (const page of pages) {
      const hit = page.data.find((issue) => issue.user?.login === login && endsWithMarker(issue.body, req.marker));
      if (hit) return this.checked(hit);
      seen += page.data.length;
      if (seen >= 1000) break; // bounded: an attempt is minutes old, not thousands of issues ago
    }
    return undefined;
  }

  async findIssue(req: Pick<IssueRequest, 'repo' | 'marker' | 'since'>): Promise<CreatedIssue | undefined> {
    const [owner, repo] = req.repo.split('/') as [string, string];
    return this.findOurs(owner, repo, { ...req, title: '', body: '', labels: [] });
  }

  async closeIssue(req: { repo: string; number: number; comment: string }): Promise<void> {
    const [owner, repo] = req.repo.split('/') as [string, string];
    const { data } = await this.octokit.rest.issues.get({ owner, repo, issue_number: req.number });
    if (data.state === 'closed') return;
    await this.octokit.rest.issues.createComment({ owner, repo, issue_number: req.number, body: req.comment });
    await this.octokit.rest.issues.update({ owner, repo, issue_number: req.number, state: 'closed', state_reason: 'not_planned' });
  }

  /** Who our token is (GET /user), asked once; a failed lookup is asked again next time. */
  private ourLogin(): Promise<string> {
    this.login ??= this.octokit.rest.users.getAuthenticated().then(
      ({ data }) => data.login,
      (err: unknown) => {
        this.login = undefined;
        throw new Error(
          `GitHub did not say which user GITHUB_TOKEN belongs to (GET /user): ${err instanceof Error ? err.message : String(err)}`,
        );
      },
    );
    return this.login;
  }

  /** The issue's link reaches browsers: it must be an https page of our GitHub. */
  private checked(issue: { number: number; html_url: string }): CreatedIssue {
    if (!isGithubWebUrl(issue.html_url, this.webHost)) {
      throw new Error(
        `GitHub returned issue #${issue.number} at ${issue.html_url}, not an https URL on ${this.webHost} (set GITHUB_WEB_URL)`,
      );
    }
    return { number: issue.number, url: issue.html_url };
  }
}
