/** Where dispatched tasks become issues: real GitHub (Octokit) or the built-in sandbox. */
export interface IssueRequest {
  repo: string;
  title: string;
  body: string;
  labels: string[];
  /** Hidden in the issue body; finds the issue an earlier, crashed attempt already created. */
  marker: string;
  /** The attempt started after this time: older issues cannot be ours. */
  since: Date;
}

export interface CreatedIssue {
  number: number;
  url: string;
}

export interface IssueTracker {
  /** Shown in the timeline: 'GitHub' or 'sandbox'. */
  readonly label: string;
  /** Creates the issue, or returns the one an earlier attempt created (idempotent by `marker`). */
  ensureIssue(req: IssueRequest): Promise<CreatedIssue>;
  /** The issue an earlier run of this attempt created, if any; never creates one. */
  findIssue(req: Pick<IssueRequest, 'repo' | 'marker' | 'since'>): Promise<CreatedIssue | undefined>;
  /** Closes the issue with a comment saying why (agents work only on open issues); closing a closed one does nothing. */
  closeIssue(req: { repo: string; number: number; comment: string }): Promise<void>;
}
