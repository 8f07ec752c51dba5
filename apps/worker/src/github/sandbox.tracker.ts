import type { Redis } from 'ioredis';
import type { CreatedIssue, IssueRequest, IssueTracker } from './issue-tracker';

// Atomically: the number already given to this marker, or the repo's next number.
const ENSURE_ISSUE = `
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return tonumber(existing) end
local n = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[1], n)
return n`;

/**
 * Stands in for GitHub when no token is configured: numbers issues per
 * repository in Redis (persistent with AOF) and gives URLs that say they are
 * sandbox ones. Idempotent by marker, like the real tracker.
 */
export class SandboxTracker implements IssueTracker {
  readonly label = 'sandbox (no GITHUB_TOKEN)';

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async ensureIssue(req: IssueRequest): Promise<CreatedIssue> {
    const keys = [`${this.prefix}:sandbox:issues:${req.repo}`, `${this.prefix}:sandbox:issue-seq:${req.repo}`];
    const number = Number(await this.redis.eval(ENSURE_ISSUE, 2, ...keys, req.marker));
    return { number, url: `https://sandbox.taskflow.invalid/${req.repo}/issues/${number}` };
  }
}
