import { Octokit } from '@octokit/rest';
import type { CreatedIssue, IssueRequest, IssueTracker } from './issue-tracker';

/** Real GitHub through Octokit (any GitHub-compatible API via GITHUB_API_URL). */
export class OctokitTracker implements IssueTracker {
  readonly label = 'GitHub';
  private readonly octokit: Octokit;

  constructor(opts: { token: string; baseUrl: string; timeoutMs?: number }) {
    this.octokit = new Octokit({
      auth: opts.token,
      baseUrl: opts.baseUrl,
      userAgent: 'taskflow-live',
      request: { timeout: opts.timeoutMs ?? 15_000 },
    });
  }

  async ensureIssue(req: IssueRequest): Promise<CreatedIssue> {
    const [owner, repo] = req.repo.split('/') as [string, string];
    const existing = await this.findByMarker(owner, repo, req);
    if (existing) return existing;
    const { data } = await this.octokit.rest.issues.create({ owner, repo, title: req.title, body: req.body, labels: req.labels });
    return { number: data.number, url: data.html_url };
  }

  /** Issues labelled ai-task updated since the attempt began, whose body carries our marker. */
  private async findByMarker(owner: string, repo: string, req: IssueRequest): Promise<CreatedIssue | undefined> {
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
      const hit = page.data.find((issue) => issue.body?.includes(req.marker));
      if (hit) return { number: hit.number, url: hit.html_url };
      seen += page.data.length;
      if (seen >= 1000) break; // bounded: an attempt is minutes old, not thousands of issues ago
    }
    return undefined;
  }
}
