import fs from 'node:fs';
import path from 'node:path';
import { isUuid, taskBranch } from '@taskflow/events';
import { checkRunEvent, issueCommentEvent, pullRequestReviewEvent, reviewCommentEvent } from './activity-payloads';
import { createBranchEvent, pullRequestEvent } from './payloads';
import { sendWebhook } from './send';

/**
 * Walks a task through its GitHub lifecycle without GitHub, by posting signed webhook deliveries
 * to a running Taskflow server:
 *   npm run simulate -- <taskId> <coding|pr-open|merge|close>
 */

const REPO_ROOT = path.resolve(__dirname, '../../..');
const WEBHOOK_PATH = '/api/webhooks/github';
const STEPS = [
  'coding',
  'pr-open',
  'pr-draft',
  'draft',
  'ready',
  'push',
  'reopen',
  'approve',
  'request-changes',
  'ci-pass',
  'ci-fail',
  'comment',
  'pr-comment',
  'review-comment',
  'merge',
  'close',
] as const;
type Step = (typeof STEPS)[number];

const USAGE = `Usage: npm run simulate -- <taskId> <${STEPS.join('|')}>

  coding           create event for the task's branch (taskflow/<first 13 chars of the id>)
  pr-open          pull_request opened from that branch (pr-draft: opened as a draft)
  draft, ready     pull_request converted_to_draft / ready_for_review
  push, reopen     pull_request synchronize (new commits: CI pending) / reopened
  approve          pull_request_review approved (request-changes: changes requested)
  ci-pass, ci-fail check_run completed with success / failure
  comment          issue_comment on the task's issue (ISSUE_NUMBER); pr-comment: on the PR
  review-comment   pull_request_review_comment on the PR
  merge            pull_request closed and merged
  close            pull_request closed without merging

Environment:
  APP_URL, PORT           server to post to: APP_URL, else http://127.0.0.1:$PORT, else the running
                          local stack's (url in $DATA_DIR/stack.json), else http://127.0.0.1:3000
  DATA_DIR                the local stack's data directory (default .data)
  GITHUB_WEBHOOK_SECRET   signing secret (default: githubWebhookSecret in $DATA_DIR/secrets.json)
  GITHUB_REPO             owner/name (default acme/payments)
  GITHUB_HEAD_REPO        owner/name a pull request comes from (default GITHUB_REPO; another one plays a fork)
  PR_NUMBER               pull request number (default: derived from the task id)
  ISSUE_NUMBER            the task's issue number, for comment (see the task's page)
  COMMENT_BODY            text of a comment (default: a short note)
  GITHUB_LOGIN            who reviews or comments (default octo-reviewer)`;

/** Exit codes: 0 delivered (2xx) to a task, 1 delivery or set-up failed or no task matched, 2 bad usage. */
class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const usageError = (problem: string) => new CliExit(2, `${problem}\n\n${USAGE}`);

/** Stable per task, so repeated steps for one task refer to the same PR. */
function defaultPrNumber(taskId: string): number {
  return (parseInt(taskId.slice(0, 4), 16) % 9000) + 1000;
}

function parseArgs(args: string[]): { taskId: string; step: Step } {
  if (args.length !== 2) throw usageError(`Expected 2 arguments, got ${args.length}.`);
  const [rawId = '', rawStep = ''] = args;
  if (!isUuid(rawId)) throw usageError(`Not a task id (UUID): "${rawId}".`);
  if (!(STEPS as readonly string[]).includes(rawStep)) throw usageError(`Unknown step: "${rawStep}".`);
  // The server stores ids in lower case and derives branch names from them.
  return { taskId: rawId.toLowerCase(), step: rawStep as Step };
}

const dataDir = (env: NodeJS.ProcessEnv) => path.resolve(env.DATA_DIR || path.join(REPO_ROOT, '.data'));

/** The server: explicit APP_URL or PORT, else the running local stack's (stack.json, while its supervisor lives), else port 3000. */
function appUrl(env: NodeJS.ProcessEnv): { url: string; from: string } {
  if (env.APP_URL) return { url: env.APP_URL.replace(/\/+$/, ''), from: 'APP_URL' };
  if (env.PORT) return { url: `http://127.0.0.1:${env.PORT}`, from: 'PORT' };
  const file = path.join(dataDir(env), 'stack.json');
  try {
    const stack = JSON.parse(fs.readFileSync(file, 'utf8')) as { url?: unknown; supervisorPid?: unknown };
    if (typeof stack.url === 'string' && typeof stack.supervisorPid === 'number' && isAlive(stack.supervisorPid))
      return { url: stack.url.replace(/\/+$/, ''), from: `the running stack's ${file}` };
  } catch {
    // No running local stack: the default port.
  }
  return { url: 'http://127.0.0.1:3000', from: `the default: no running stack in ${dataDir(env)}` };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readWebhookSecret(env: NodeJS.ProcessEnv): string {
  if (env.GITHUB_WEBHOOK_SECRET) return env.GITHUB_WEBHOOK_SECRET;
  const file = path.join(dataDir(env), 'secrets.json');
  let secret: unknown;
  try {
    secret = (JSON.parse(fs.readFileSync(file, 'utf8')) as { githubWebhookSecret?: unknown }).githubWebhookSecret;
  } catch {
    // Missing or unreadable file: same remedy as a missing key, reported below.
  }
  if (typeof secret !== 'string' || !secret) {
    throw new CliExit(1, `No webhook secret: set GITHUB_WEBHOOK_SECRET, or start the local stack so ${file} holds githubWebhookSecret.`);
  }
  return secret;
}

function readPrNumber(env: NodeJS.ProcessEnv, taskId: string): number {
  if (!env.PR_NUMBER) return defaultPrNumber(taskId);
  const prNumber = Number(env.PR_NUMBER);
  if (!Number.isSafeInteger(prNumber) || prNumber < 1) throw usageError(`PR_NUMBER must be a positive integer, got "${env.PR_NUMBER}".`);
  return prNumber;
}

interface DeliveryInput {
  taskId: string;
  repo: string;
  headRepo: string;
  prNumber: number;
  env: NodeJS.ProcessEnv;
}
type Delivery = { event: string; payload: object };

const pr = (d: DeliveryInput) => ({
  repo: d.repo,
  headRepo: d.headRepo,
  branch: taskBranch(d.taskId),
  prNumber: d.prNumber,
  title: `Task ${d.taskId}`,
});
const login = (d: DeliveryInput) => d.env.GITHUB_LOGIN || 'octo-reviewer';
const body = (d: DeliveryInput) => d.env.COMMENT_BODY || 'Looks good from here; one nit inline.';

function issueNumber(d: DeliveryInput): number {
  const n = Number(d.env.ISSUE_NUMBER);
  if (!Number.isSafeInteger(n) || n < 1) throw usageError("comment needs ISSUE_NUMBER (the task's issue number, shown on its page).");
  return n;
}

/** Each step's delivery: a typed map from step to builder. */
const DELIVERIES: Readonly<Record<Step, (d: DeliveryInput) => Delivery>> = {
  coding: (d) => ({ event: 'create', payload: createBranchEvent({ repo: d.repo, branch: taskBranch(d.taskId) }) }),
  'pr-open': (d) => ({ event: 'pull_request', payload: pullRequestEvent({ ...pr(d), action: 'opened' }) }),
  'pr-draft': (d) => ({ event: 'pull_request', payload: pullRequestEvent({ ...pr(d), action: 'opened', draft: true }) }),
  draft: (d) => ({ event: 'pull_request', payload: pullRequestEvent({ ...pr(d), action: 'converted_to_draft' }) }),
  ready: (d) => ({ event: 'pull_request', payload: pullRequestEvent({ ...pr(d), action: 'ready_for_review' }) }),
  push: (d) => ({ event: 'pull_request', payload: pullRequestEvent({ ...pr(d), action: 'synchronize' }) }),
  reopen: (d) => ({ event: 'pull_request', payload: pullRequestEvent({ ...pr(d), action: 'reopened' }) }),
  approve: (d) => ({ event: 'pull_request_review', payload: pullRequestReviewEvent({ ...pr(d), state: 'approved', reviewer: login(d) }) }),
  'request-changes': (d) => ({
    event: 'pull_request_review',
    payload: pullRequestReviewEvent({ ...pr(d), state: 'changes_requested', reviewer: login(d) }),
  }),
  'ci-pass': (d) => ({ event: 'check_run', payload: checkRunEvent({ ...pr(d), conclusion: 'success' }) }),
  'ci-fail': (d) => ({ event: 'check_run', payload: checkRunEvent({ ...pr(d), conclusion: 'failure' }) }),
  comment: (d) => ({
    event: 'issue_comment',
    payload: issueCommentEvent({ repo: d.repo, number: issueNumber(d), body: body(d), author: login(d) }),
  }),
  'pr-comment': (d) => ({
    event: 'issue_comment',
    payload: issueCommentEvent({ repo: d.repo, number: d.prNumber, body: body(d), author: login(d), onPullRequest: true }),
  }),
  'review-comment': (d) => ({
    event: 'pull_request_review_comment',
    payload: reviewCommentEvent({ ...pr(d), body: body(d), author: login(d) }),
  }),
  merge: (d) => ({ event: 'pull_request', payload: pullRequestEvent({ ...pr(d), action: 'closed', merged: true }) }),
  close: (d) => ({ event: 'pull_request', payload: pullRequestEvent({ ...pr(d), action: 'closed', merged: false }) }),
};

/** What the server said of a 2xx delivery: ignored (a fork, another repository…, with its reason), or how many tasks it matched. */
function serverAnswer(body: string): { status?: unknown; reason?: unknown; matched?: unknown } {
  try {
    return JSON.parse(body) as { status?: unknown; reason?: unknown; matched?: unknown };
  } catch {
    return {};
  }
}

/** Which task a step's delivery names, as the server looks it up. */
function matchedBy(step: Step, taskId: string, prNumber: number, env: NodeJS.ProcessEnv): string {
  if (step === 'comment') return `issue #${env.ISSUE_NUMBER}`;
  if (step === 'pr-comment' || step === 'review-comment') return `pull request #${prNumber}`;
  return `branch ${taskBranch(taskId)}`;
}

async function main(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    console.log(USAGE);
    return 0;
  }
  const { taskId, step } = parseArgs(args);
  const repo = env.GITHUB_REPO || 'acme/payments';
  const prNumber = readPrNumber(env, taskId);
  let delivery;
  try {
    delivery = DELIVERIES[step]({ taskId, repo, headRepo: env.GITHUB_HEAD_REPO || repo, prNumber, env });
  } catch (err) {
    // The builders reject a malformed GITHUB_REPO; that is a usage problem, not a crash.
    if (err instanceof TypeError) throw usageError(`GITHUB_REPO / GITHUB_HEAD_REPO: ${err.message}.`);
    throw err;
  }
  const { event, payload } = delivery;
  const secret = readWebhookSecret(env);
  const server = appUrl(env);
  const url = `${server.url}${WEBHOOK_PATH}`;

  let result;
  try {
    result = await sendWebhook(url, event, payload, { secret });
  } catch (err) {
    const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    throw new CliExit(
      1,
      `${step}: could not reach ${url} (${server.from}): ${cause}. Start the stack (npm start), or set APP_URL or PORT.`,
    );
  }
  const line = `${step}: ${event} delivery ${result.deliveryId} → HTTP ${result.status}`;
  if (result.status < 200 || result.status >= 300) {
    console.error(`${line}  ${result.body.replace(/\s+/g, ' ').slice(0, 200)}`);
    return 1;
  }
  const answer = serverAnswer(result.body);
  if (answer.status === 'ignored') console.log(`${line}  (ignored: ${String(answer.reason)})`);
  else if (answer.matched === 0) {
    // Accepted, but it changes nothing: most likely a mistyped task id (or another repository: GITHUB_REPO).
    console.error(
      `${step}: no task matches ${matchedBy(step, taskId, prNumber, env)} in ${repo} at ${server.url}: check the task id (delivery ${result.deliveryId}, HTTP ${result.status})`,
    );
    return 1;
  } else console.log(line);
  return 0;
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CliExit) {
      console.error(err.message);
      process.exitCode = err.code;
    } else {
      console.error(err);
      process.exitCode = 1;
    }
  },
);
