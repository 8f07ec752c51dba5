import { Octokit } from '@octokit/rest';
import { startFakeGitHub } from '@taskflow/testing';
import { endsWithMarker, issueMarker } from './issue-content';
import { OctokitTracker } from './octokit.tracker';

/**
 * The real Octokit against the local GitHub stand-in: finding the issue an
 * earlier run created must not trust text a user wrote.
 */
const BOT = 'ghp_bot';
const COLLEAGUE = 'ghp_colleague';
const REPO = 'acme/payments';
const TASK_A = '00000000-0000-4000-8000-00000000000a';
const TASK_B = '00000000-0000-4000-8000-00000000000b';

let github: Awaited<ReturnType<typeof startFakeGitHub>>;
let tracker: OctokitTracker;
const since = () => new Date(Date.now() - 60_000);

beforeEach(async () => {
  github = await startFakeGitHub({ token: BOT, login: 'taskflow-bot', otherUsers: { [COLLEAGUE]: 'mallory' } });
  tracker = new OctokitTracker({ token: BOT, baseUrl: github.url, webHost: 'github.com' });
});
afterEach(() => github.close());

/** An issue body as the dispatcher writes it: the user's description, then our marker last. */
const bodyFor = (description: string, marker: string) => `## Description\n${description}\n\n<!-- ${marker} -->`;
const request = (taskId: string, description = 'Fix the rounding.') => {
  const marker = issueMarker(taskId, 0);
  return {
    repo: REPO,
    title: `Task ${taskId}`,
    body: bodyFor(description, marker),
    labels: ['ai-task', 'bug-fix'],
    marker,
    since: since(),
  };
};

describe('OctokitTracker.ensureIssue', () => {
  it('creates the issue once, and finds it again on a re-run of the same attempt', async () => {
    const first = await tracker.ensureIssue(request(TASK_A));
    const again = await tracker.ensureIssue(request(TASK_A));
    expect(again).toEqual(first);
    expect(first).toEqual({ number: 1, url: `https://github.com/${REPO}/issues/1` });
    expect(github.issues).toHaveLength(1);
    expect(github.issues[0]).toMatchObject({ author: 'taskflow-bot' });
  });

  it('does not adopt an issue a colleague opened with our label and the task marker', async () => {
    const colleague = new Octokit({ auth: COLLEAGUE, baseUrl: github.url });
    const marker = issueMarker(TASK_A, 0);
    await colleague.rest.issues.create({
      owner: 'acme',
      repo: 'payments',
      title: 'Mine now',
      body: bodyFor('Look at me.', marker),
      labels: ['ai-task'],
    });

    const issue = await tracker.ensureIssue(request(TASK_A));
    expect(issue.number).toBe(2);
    expect(github.issues.map((i) => i.author)).toEqual(['mallory', 'taskflow-bot']);
  });

  it("does not adopt our own issue for another task whose description quotes this task's marker", async () => {
    const pasted = `Please also see <!-- ${issueMarker(TASK_A, 0)} -->`;
    const b = await tracker.ensureIssue(request(TASK_B, pasted));
    expect(github.issues[0]!.body).toContain(issueMarker(TASK_A, 0));

    const a = await tracker.ensureIssue(request(TASK_A));
    expect(a.number).not.toBe(b.number);
    expect(github.issues).toHaveLength(2);
    expect(endsWithMarker(github.issues[1]!.body, issueMarker(TASK_A, 0))).toBe(true);
  });

  it('asks GitHub who its token is once', async () => {
    await tracker.ensureIssue(request(TASK_A));
    await tracker.ensureIssue(request(TASK_B));
    expect(github.requests.filter((r) => r.path === '/user')).toHaveLength(1);
  });

  it('refuses an issue link that is not an https page of the configured GitHub host', async () => {
    const ghe = new OctokitTracker({ token: BOT, baseUrl: github.url, webHost: 'ghe.example' });
    await expect(ghe.ensureIssue(request(TASK_A))).rejects.toThrow(/not an https URL on ghe\.example/);
  });
});
