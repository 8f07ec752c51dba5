import type { ServerResponse } from 'node:http';
import { sendJson, startFake, type RecordedRequest } from './http-fake';

export interface FakeIssue {
  number: number;
  repo: string;
  title: string;
  body: string;
  labels: string[];
  createdAt: string;
  /** Login of the user whose token created it. */
  author: string;
  state: 'open' | 'closed';
  /** Bodies of the comments added to it, in order. */
  comments: string[];
}

export interface FakeGitHubOptions {
  /** The worker's token; it acts as `login` (default `taskflow-bot`). */
  token: string;
  login?: string;
  /** More accounts, token → login: a colleague creating issues of their own. */
  otherUsers?: Record<string, string>;
  beforeCreateReply?: (issue: FakeIssue) => Promise<void>;
  /** While it returns true every request is answered 503 (GitHub down). */
  unavailable?: () => boolean;
}

/**
 * A local server speaking the parts of GitHub's REST API the worker uses (the
 * authenticated user, create, list, read, comment on and close issues), for the
 * real Octokit client.
 * `beforeCreateReply` runs after an issue is stored and before the answer is
 * sent: a test can hold the answer there to kill the caller between "created"
 * and "committed".
 */
export async function startFakeGitHub(opts: FakeGitHubOptions) {
  const issues: FakeIssue[] = [];
  const logins = new Map<string, string>([...Object.entries(opts.otherUsers ?? {}), [opts.token, opts.login ?? 'taskflow-bot']]);
  const loginOf = (auth: string | undefined) => (auth ? logins.get(auth.replace(/^(token|Bearer) /, '')) : undefined);
  const toJson = (i: FakeIssue, base: string) => ({
    id: 1000 + i.number,
    number: i.number,
    title: i.title,
    body: i.body,
    state: i.state,
    labels: i.labels.map((name, k) => ({ id: k + 1, name })),
    html_url: `https://github.com/${i.repo}/issues/${i.number}`,
    url: `${base}/repos/${i.repo}/issues/${i.number}`,
    created_at: i.createdAt,
    updated_at: i.createdAt,
    user: { login: i.author, id: [...logins.values()].indexOf(i.author) + 1 },
  });
  const fake = await startFake(async (req: RecordedRequest, res: ServerResponse) => {
    if (opts.unavailable?.()) return sendJson(res, 503, { message: 'Service Unavailable' });
    const login = loginOf(req.headers.authorization);
    if (!login) return sendJson(res, 401, { message: 'Bad credentials' });
    if (req.method === 'GET' && req.path === '/user')
      return sendJson(res, 200, { login, id: [...logins.values()].indexOf(login) + 1, type: 'User' });
    const one = /^\/repos\/([^/]+\/[^/]+)\/issues\/(\d+)(\/comments)?$/.exec(req.path);
    if (one)
      return oneIssue(
        req,
        res,
        issues.find((i) => i.repo === one[1] && i.number === Number(one[2])),
        Boolean(one[3]),
        fake.url,
      );
    const m = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(req.path);
    if (!m) return sendJson(res, 404, { message: 'Not Found' });
    const repo = `${m[1]}/${m[2]}`;
    if (req.method === 'POST') {
      const body = req.body as { title?: string; body?: string; labels?: string[] };
      if (!body?.title) return sendJson(res, 422, { message: 'Validation Failed' });
      const issue: FakeIssue = {
        number: issues.filter((i) => i.repo === repo).length + 1,
        repo,
        title: body.title,
        body: body.body ?? '',
        labels: body.labels ?? [],
        createdAt: new Date().toISOString(),
        author: login,
        state: 'open',
        comments: [],
      };
      issues.push(issue);
      await opts.beforeCreateReply?.(issue);
      return sendJson(res, 201, toJson(issue, fake.url));
    }
    if (req.method === 'GET') {
      const labels = (req.query.get('labels') ?? '').split(',').filter(Boolean);
      const since = req.query.get('since');
      const list = issues
        .filter((i) => i.repo === repo && labels.every((l) => i.labels.includes(l)) && (!since || i.createdAt >= since))
        .reverse();
      return sendJson(
        res,
        200,
        list.map((i) => toJson(i, fake.url)),
      );
    }
    return sendJson(res, 405, { message: 'Method not allowed' });
  });
  /** GET or PATCH (state) one issue, or POST a comment on it. */
  function oneIssue(req: RecordedRequest, res: ServerResponse, issue: FakeIssue | undefined, comments: boolean, base: string) {
    if (!issue) return sendJson(res, 404, { message: 'Not Found' });
    const body = req.body as { state?: string; body?: string } | undefined;
    if (comments && req.method === 'POST') {
      if (!body?.body) return sendJson(res, 422, { message: 'Validation Failed' });
      issue.comments.push(body.body);
      return sendJson(res, 201, { id: issue.comments.length, body: body.body });
    }
    if (!comments && req.method === 'GET') return sendJson(res, 200, toJson(issue, base));
    if (!comments && req.method === 'PATCH') {
      if (body?.state === 'open' || body?.state === 'closed') issue.state = body.state;
      return sendJson(res, 200, toJson(issue, base));
    }
    return sendJson(res, 405, { message: 'Method not allowed' });
  }
  return { ...fake, issues };
}
