import type { Cluster, Redis } from 'ioredis';
import type { CreatedIssue, IssueRequest, IssueTracker } from './issue-tracker';

// Atomically: the number already given to this marker, or the repo's next number.
const ENSURE_ISSUE = `
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return tonumber(existing) end
local n = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[1], n)
return n`;

/**
 * A repository's sandbox keys. The repository is their hash tag, so the keys ENSURE_ISSUE touches together are in
 * one slot, which a script needs on Redis Cluster (else CROSSSLOT); repositories still spread over the shards.
 */
const keysOf = (prefix: string, repo: string) => ({
  issues: `${prefix}:sandbox:issues:{${repo}}`,
  seq: `${prefix}:sandbox:issue-seq:{${repo}}`,
  closed: `${prefix}:sandbox:closed:{${repo}}`,
});

/**
 * Stands in for GitHub when no token is configured: numbers issues per
 * repository in Redis (persistent with AOF) and gives URLs that say they are
 * sandbox ones. Idempotent by marker, like the real tracker.
 */
export class SandboxTracker implements IssueTracker {
  readonly label = 'sandbox (no GITHUB_TOKEN)';

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  async ensureIssue(req: IssueRequest): Promise<CreatedIssue> {
    const keys = keysOf(this.prefix, req.repo);
    const number = Number(await this.redis.eval(ENSURE_ISSUE, 2, keys.issues, keys.seq, req.marker));
    return { number, url: sandboxUrl(req.repo, number) };
  }

  async findIssue(req: Pick<IssueRequest, 'repo' | 'marker'>): Promise<CreatedIssue | undefined> {
    const number = await this.redis.hget(keysOf(this.prefix, req.repo).issues, req.marker);
    return number ? { number: Number(number), url: sandboxUrl(req.repo, Number(number)) } : undefined;
  }

  async closeIssue(req: { repo: string; number: number; comment: string }): Promise<void> {
    // HSETNX: the first close wins, so a repeated close adds no second comment.
    await this.redis.hsetnx(keysOf(this.prefix, req.repo).closed, String(req.number), req.comment);
  }

  /** A sandbox issue's state, and the comment it was closed with. */
  async issueState(repo: string, number: number): Promise<{ state: 'open' | 'closed'; closeComment?: string }> {
    const comment = await this.redis.hget(keysOf(this.prefix, repo).closed, String(number));
    return comment === null ? { state: 'open' } : { state: 'closed', closeComment: comment };
  }
}

const sandboxUrl = (repo: string, number: number) => `https://sandbox.taskflow.invalid/${repo}/issues/${number}`;
